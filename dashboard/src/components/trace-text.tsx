/**
 * The slide-9 text view in a <pre>, with a copy button. Huge traces show their first
 * TEXT_VIEW_MAX_LINES lines; "Copy" always copies the whole trace.
 */
import { useMemo, useState } from 'react';
import type { Span } from '../api/types.js';
import { traceToText } from '../model/text-view.js';
import type { TimeMode } from '../model/trace-tree.js';

/** 20k lines (~2 MB of text) render in well under a second; beyond that a <pre> gets sluggish. */
export const TEXT_VIEW_MAX_LINES = 20_000;

export function TraceText({ traceId, spans, mode }: { traceId: string; spans: readonly Span[]; mode: TimeMode }) {
  const view = useMemo(() => traceToText(traceId, spans, mode, TEXT_VIEW_MAX_LINES), [traceId, spans, mode]);
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'failed'>('idle');

  const copy = async () => {
    const full = view.truncated ? traceToText(traceId, spans, mode).text : view.text;
    try {
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
        {view.truncated && (
          <span className="note">
            Showing the first {TEXT_VIEW_MAX_LINES.toLocaleString('en')} lines; Copy copies everything.
          </span>
        )}
      </div>
      <pre data-testid="trace-text">{view.text}</pre>
    </section>
  );
}
