/** Loading, empty and error states, the same in every view. */
import type { ReactNode } from 'react';
import { DashboardError } from '../../errors.js';

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      Loading {what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

/** Shows an error with its code, so a user can quote it in a bug report. */
export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  const code = error instanceof DashboardError ? error.code : 'unexpected';
  return (
    <div className="state state-error" role="alert">
      <strong>{code}</strong> {error.message}
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}
