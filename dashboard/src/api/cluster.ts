/** `GET /api/cluster`: the collector's role and every cluster member with its lag and loss. */

/** One member as the collector lists it. */
export interface ClusterMember {
  member: string;
  role: 'receiver' | 'assembler';
  httpUrl: string;
  state: 'up' | 'stale';
  ageMillis: number;
  /** Receivers: acceptedEvents, producedEvents, droppedEvents, bufferedEvents, lostDatagrams…; assemblers: consumedEvents, lag, partitions, paused, badRecords… */
  summary: Record<string, number>;
  partitions?: { partition: number; lag: number; committedOffset: string }[];
}

/** The whole response. */
export interface ClusterStatus {
  role: 'all' | 'receiver' | 'assembler';
  member: string | null;
  members: ClusterMember[];
  totals: Record<string, number>;
}

function fail(what: string): never {
  throw new Error(`GET /api/cluster: ${what}`);
}

/** Validates the response; throws naming the first wrong field. */
export function parseClusterStatus(body: unknown): ClusterStatus {
  if (typeof body !== 'object' || body === null) fail('not an object');
  const b = body as Record<string, unknown>;
  if (b.role !== 'all' && b.role !== 'receiver' && b.role !== 'assembler') fail('role');
  if (!Array.isArray(b.members)) fail('members is not an array');
  const members = b.members.map((m, i): ClusterMember => {
    const x = m as Record<string, unknown>;
    if (typeof x.member !== 'string') fail(`members[${i}].member`);
    if (x.role !== 'receiver' && x.role !== 'assembler') fail(`members[${i}].role`);
    if (x.state !== 'up' && x.state !== 'stale') fail(`members[${i}].state`);
    if (typeof x.ageMillis !== 'number') fail(`members[${i}].ageMillis`);
    if (typeof x.summary !== 'object' || x.summary === null) fail(`members[${i}].summary`);
    return {
      member: x.member,
      role: x.role,
      httpUrl: typeof x.httpUrl === 'string' ? x.httpUrl : '',
      state: x.state,
      ageMillis: x.ageMillis,
      summary: x.summary as Record<string, number>,
      ...(Array.isArray(x.partitions) ? { partitions: x.partitions as ClusterMember['partitions'] } : {}),
    };
  });
  return {
    role: b.role,
    member: typeof b.member === 'string' ? b.member : null,
    members,
    totals: (typeof b.totals === 'object' && b.totals !== null ? b.totals : {}) as Record<string, number>,
  };
}
