/** Cluster members (receivers and assemblers over Kafka) with their loss and lag. */
import { useEffect, useState } from 'react';
import type { ClusterMember } from '../api/cluster.js';
import { useApi } from '../api/context.js';
import { Empty, ErrorBox, Loading } from '../components/common/states.js';
import { useAsync } from '../hooks/use-async.js';

/** The page refreshes itself at the members' publish pace. */
const REFRESH_MILLIS = 5000;

const n = (m: ClusterMember, key: string) => m.summary[key] ?? 0;

function ReceiverRow({ m }: { m: ClusterMember }) {
  return (
    <tr className={m.state === 'stale' ? 'stale' : ''}>
      <td>{m.member}</td>
      <td>{m.state}</td>
      <td>{n(m, 'acceptedEvents')}</td>
      <td>{n(m, 'producedEvents')}</td>
      <td>{n(m, 'bufferedEvents')}</td>
      <td className={n(m, 'droppedEvents') > 0 ? 'error-cell' : ''}>{n(m, 'droppedEvents')}</td>
      <td className={n(m, 'lostDatagrams') > 0 ? 'error-cell' : ''}>{n(m, 'lostDatagrams')}</td>
      <td>{n(m, 'tracerDroppedEvents')}</td>
      <td>{n(m, 'kafkaFailing') ? 'unreachable' : 'ok'}</td>
    </tr>
  );
}

function AssemblerRow({ m }: { m: ClusterMember }) {
  return (
    <tr className={m.state === 'stale' ? 'stale' : ''}>
      <td>{m.member}</td>
      <td>{m.state}</td>
      <td>{(m.partitions ?? []).map((p) => p.partition).join(', ') || '—'}</td>
      <td>{n(m, 'lag') < 0 ? '?' : n(m, 'lag')}</td>
      <td>{n(m, 'consumedEvents')}</td>
      <td>{n(m, 'pendingSpans')}</td>
      <td className={n(m, 'badRecords') > 0 ? 'error-cell' : ''}>{n(m, 'badRecords')}</td>
      <td className={n(m, 'lostWrites') > 0 ? 'error-cell' : ''}>{n(m, 'lostWrites')}</td>
      <td>{n(m, 'paused') ? 'paused (Elasticsearch)' : 'consuming'}</td>
    </tr>
  );
}

export function ClusterPage() {
  const api = useApi();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), REFRESH_MILLIS);
    return () => clearInterval(timer);
  }, []);
  const status = useAsync(
    (signal) =>
      api.getCluster
        ? api.getCluster(signal)
        : Promise.resolve({ role: 'all' as const, member: null, members: [], totals: {} }),
    [api, tick],
  );
  if (status.status === 'loading' && tick === 0) return <Loading what="cluster members" />;
  if (status.status === 'error') return <ErrorBox error={status.error} />;
  if (status.status !== 'done') return <Loading what="cluster members" />;
  const { members, role, totals } = status.value;
  if (role === 'all') {
    return <Empty>This collector runs all-in-one (role: all): there is no cluster. See README “Scaling”.</Empty>;
  }
  const receivers = members.filter((m) => m.role === 'receiver');
  const assemblers = members.filter((m) => m.role === 'assembler');
  return (
    <div className="cluster-page">
      <p>
        {totals.receivers ?? 0} receivers, {totals.assemblers ?? 0} assemblers up · accepted{' '}
        {totals.acceptedEvents ?? 0} · produced {totals.producedEvents ?? 0} · dropped {totals.droppedEvents ?? 0} · lag{' '}
        {totals.lag ?? 0} records
      </p>
      <h2>Receivers</h2>
      <table className="aggregates">
        <thead>
          <tr>
            {[
              'Member',
              'State',
              'Accepted',
              'Produced',
              'Buffered',
              'Dropped',
              'Lost datagrams',
              'Tracer drops',
              'Kafka',
            ].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {receivers.map((m) => (
            <ReceiverRow key={m.member} m={m} />
          ))}
        </tbody>
      </table>
      <h2>Assemblers</h2>
      <table className="aggregates">
        <thead>
          <tr>
            {[
              'Member',
              'State',
              'Partitions',
              'Lag',
              'Consumed',
              'Pending spans',
              'Bad records',
              'Lost writes',
              'Status',
            ].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {assemblers.map((m) => (
            <AssemblerRow key={m.member} m={m} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
