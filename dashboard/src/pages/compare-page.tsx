/** Two traces side by side: which hops differ in call count or duration. */
import { useMemo, useState } from 'react';
import { useApi } from '../api/context.js';
import type { Span } from '../api/types.js';
import { Empty, ErrorBox, Loading } from '../components/common/states.js';
import { useAsync } from '../hooks/use-async.js';
import { compareTraces } from '../model/compare.js';
import { formatDuration } from '../model/format.js';
import { isTraceId } from '../model/ids.js';
import { formatRoute, traceHref } from '../routing/route.js';
import { navigate } from '../routing/router.js';

const DIFFERENCE_LABEL = {
  'only-a': 'only in A',
  'only-b': 'only in B',
  count: 'call count differs',
  duration: 'duration differs',
  same: 'same',
} as const;

export function ComparePage({ params }: { params: URLSearchParams }) {
  const a = params.get('a')?.trim() ?? '';
  const b = params.get('b')?.trim() ?? '';
  const valid = isTraceId(a) && isTraceId(b);
  return (
    <div className="compare-page">
      <CompareForm a={a} b={b} />
      {!valid ? <Empty>Enter two trace ids to compare.</Empty> : <Comparison a={a} b={b} />}
    </div>
  );
}

function CompareForm({ a, b }: { a: string; b: string }) {
  const [error, setError] = useState<string | undefined>();
  return (
    <form
      className="compare-form"
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        const na = String(data.get('a') ?? '').trim();
        const nb = String(data.get('b') ?? '').trim();
        const bad = [!isTraceId(na) && 'A', !isTraceId(nb) && 'B'].filter(Boolean);
        if (bad.length > 0) {
          setError(`DSH_ERR_ROUTE_TRACE_ID: trace ${bad.join(' and ')} is not a trace id`);
          return;
        }
        setError(undefined);
        navigate(formatRoute('compare', { a: na, b: nb }));
      }}
    >
      <label>
        Trace A <input name="a" defaultValue={a} />
      </label>
      <label>
        Trace B <input name="b" defaultValue={b} />
      </label>
      <button type="submit">Compare</button>
      {error && <span role="alert">{error}</span>}
    </form>
  );
}

function Comparison({ a, b }: { a: string; b: string }) {
  const api = useApi();
  const both = useAsync(
    async (signal): Promise<[Span[] | undefined, Span[] | undefined]> =>
      Promise.all([api.getTrace(a, signal), api.getTrace(b, signal)]),
    [api, a, b],
  );
  const rows = useMemo(
    () =>
      both.status === 'done' && both.value[0] && both.value[1]
        ? compareTraces(both.value[0], both.value[1])
        : undefined,
    [both],
  );
  if (both.status === 'loading' || both.status === 'idle') return <Loading what="both traces" />;
  if (both.status === 'error') return <ErrorBox error={both.error} />;
  const [ta, tb] = both.value;
  if (!ta || !tb) return <Empty>Trace {!ta ? a : b} is not known to the collector.</Empty>;
  const differing = rows?.filter((r) => r.difference !== 'same').length ?? 0;
  return (
    <table className="compare-table">
      <caption>
        <a href={traceHref(a)}>A: {a}</a> ({ta.length} spans) vs <a href={traceHref(b)}>B: {b}</a> ({tb.length} spans) —{' '}
        {differing} of {rows?.length ?? 0} hops differ
      </caption>
      <thead>
        <tr>
          <th>Hop</th>
          <th>Calls A</th>
          <th>Calls B</th>
          <th>Total A</th>
          <th>Total B</th>
          <th>Errors A/B</th>
          <th>Difference</th>
        </tr>
      </thead>
      <tbody>
        {rows?.map((r) => (
          <tr key={r.key} className={`diff-${r.difference}`}>
            <td>{r.key}</td>
            <td>{r.countA}</td>
            <td>{r.countB}</td>
            <td>{r.countA ? formatDuration(r.totalMicrosA) : '—'}</td>
            <td>{r.countB ? formatDuration(r.totalMicrosB) : '—'}</td>
            <td>
              {r.errorsA}/{r.errorsB}
            </td>
            <td>{DIFFERENCE_LABEL[r.difference]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
