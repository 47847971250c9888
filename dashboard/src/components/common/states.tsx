/** Loading, empty and error states, the same in every view. */
import { type ReactNode, useState } from 'react';
import { storeApiToken } from '../../api/client.js';
import { DashboardError } from '../../errors.js';

/** Where a long load is, for {@link Loading}; `done`/`total` in the unit `unit` names. */
export interface LoadingProgress {
  /** What is happening now, e.g. "downloading" or "building the tree of 100,000 spans". */
  step: string;
  done?: number | undefined;
  total?: number | undefined;
}

/**
 * The loading state. With `progress`, also the current step and a progress bar (indeterminate
 * when the total is unknown); the bar animates in CSS, so it moves only while the page is free.
 */
export function Loading({ what, progress }: { what: string; progress?: LoadingProgress | undefined }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      Loading {what}…
      {progress && (
        <span className="loading-progress">
          <progress
            aria-label={`Loading ${what}`}
            max={progress.total ?? undefined}
            value={progress.total !== undefined ? Math.min(progress.done ?? 0, progress.total) : undefined}
          />{' '}
          {progress.step}
        </span>
      )}
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
      {error instanceof DashboardError && error.status === 401 && <TokenPrompt />}
    </div>
  );
}

/** Shown on HTTP 401: the collector wants its bearer token; it is kept for this tab only. */
function TokenPrompt() {
  const [token, setToken] = useState('');
  return (
    <form
      className="token-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        storeApiToken(token.trim());
        window.location.reload();
      }}
    >
      <label>
        API token <input type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
      </label>
      <button type="submit">Use token</button>
    </form>
  );
}
