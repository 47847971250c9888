/**
 * The slide-9 text view in a <pre>, with a copy button. Huge traces show their first
 * TEXT_VIEW_MAX_LINES lines; "Copy" always copies the whole trace. The text is made where the
 * spans are (the trace-load worker for large traces), so building it never blocks the page.
 */
import { useState } from 'react';
import type { TraceSource } from '../api/trace-source.js';
import { useAsync } from '../hooks/use-async.js';
import type { TimeMode } from '../model/trace-tree.js';
import { ErrorBox, Loading } from './common/states.js';

/** 20k lines (~2 MB of text) render in well under a second; beyond that a <pre> gets sluggish. */
export const TEXT_VIEW_MAX_LINES = 20_000;

export function TraceText({ traceId, source, mode }: { traceId: string; source: TraceSource; mode: TimeMode }) {
  const view = useAsync(() => source.text(traceId, mode, TEXT_VIEW_MAX_LINES), [source, traceId, mode]);
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'failed'>('idle');

  if (view.status === 'error') return <ErrorBox error={view.error} />;
  if (view.status !== 'done') return <Loading what="the text view" />;
  const { text, truncated } = view.value;

  const copy = async () => {
    try {
      const full = truncated ? (await source.text(traceId, mode, Number.POSITIVE_INFINITY)).text : text;
      await navigator.clipboard.writeText(full);
      setCopyState('copied');
    } catch {
      setCopyState('failed');
    }
  };

  return (
    <section className="trace-text" aria-label="Text view">
      <div className="toolbar">
        <button type="button" onClick={copy}>
          Copy
        </button>
        {copyState === 'copied' && <span role="status">Copied to the clipboard.</span>}
        {copyState === 'failed' && (
          <span role="status">The browser refused clipboard access; select the text instead.</span>
        )}
        {truncated && (
          <span className="note">
            Showing the first {TEXT_VIEW_MAX_LINES.toLocaleString('en')} lines; Copy copies everything.
          </span>
        )}
      </div>
      <pre data-testid="trace-text">{text}</pre>
    </section>
  );
}
