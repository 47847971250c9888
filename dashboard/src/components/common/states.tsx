/** Loading, empty and error states, the same in every view. */
import { type ReactNode, useState } from 'react';
import { storeApiToken } from '../../api/client.js';
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
