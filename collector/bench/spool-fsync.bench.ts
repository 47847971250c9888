/**
 * What the Elasticsearch spool's fsync policy costs (`npm run bench:spool`).
 *
 * The spool is written only while Elasticsearch is down or slower than the input, on the thread that accepts
 * spans, so its write rate bounds what the collector absorbs during an outage. For each batch size (spans per
 * append: one sink call of the assembler), each policy appends ~1 KiB span records for BENCH_SECONDS, in
 * rounds alternating the policies, into a directory on the same disk as the default spool (.phosphor/, or
 * BENCH_SPOOL_DIR). `never` is the ceiling (page cache only); the table gives each policy's rate and its ratio
 * to `never` in the same run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DiskSpool, type SpoolFsyncPolicy } from '../src/storage/elasticsearch/disk-spool.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCHES = [1, 10, 100];
/**
 * Appends per event-loop turn: 1 is the worst case for `batch` (one datagram per turn, each synced alone);
 * under load the receiver reads many datagrams per turn and one fsync covers them all.
 */
const APPENDS_PER_TURN = [1, 16];
const POLICIES: SpoolFsyncPolicy[] = ['never', 'interval', 'batch'];
const base = process.env.BENCH_SPOOL_DIR ?? '.phosphor/bench';
mkdirSync(base, { recursive: true });

/** A span-sized record (the spool line of a ~1 KiB document). */
const RECORD = `["phosphor-spans-2026.12.02","t-s",1]\t${JSON.stringify({ pad: 'x'.repeat(1000) })}`;

async function run(
  policy: SpoolFsyncPolicy,
  batch: number,
  perTurn: number,
): Promise<{ spansPerSecond: number; fsyncs: number }> {
  const dir = mkdtempSync(join(base, 'spool-'));
  const spool = new DiskSpool(dir, 64 * 1024 * 1024 * 1024, { fsync: policy, fsyncIntervalMillis: 1000 });
  const lines = Array.from({ length: batch }, () => RECORD);
  let spans = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < perTurn; i++) spool.append(lines);
    spans += batch * perTurn;
    // The turn ends: the `batch` policy's fsync runs here, as it does between two reads of the UDP socket.
    await new Promise((resolve) => setImmediate(resolve));
    // Keep the segment count low: release what was written, like a drained spool.
    if (spool.bytes > 64 * 1024 * 1024) for (const r of spool.read(spool.pendingRecords)) r.release();
  }
  const elapsed = (performance.now() - start) / 1000;
  spool.close();
  const fsyncs = spool.fsyncs;
  rmSync(dir, { recursive: true, force: true });
  return { spansPerSecond: spans / elapsed, fsyncs };
}

const results = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const perTurn of APPENDS_PER_TURN) {
    for (const batch of BATCHES) {
      for (const policy of POLICIES) {
        const { spansPerSecond } = await run(policy, batch, perTurn);
        const key = `${perTurn}|${batch}|${policy}`;
        results.set(key, [...(results.get(key) ?? []), spansPerSecond]);
      }
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(
  `spool fsync cost: ${ROUNDS} rounds × ${SECONDS} s per cell, ~1 KiB records, dir ${base}, node ${process.version}`,
);
console.log('| appends per turn | spans per append | policy | spans/s (median) | vs never |');
console.log('| ---: | ---: | --- | ---: | ---: |');
for (const perTurn of APPENDS_PER_TURN) {
  for (const batch of BATCHES) {
    const ceiling = median(results.get(`${perTurn}|${batch}|never`) ?? [1]);
    for (const policy of POLICIES) {
      const rate = median(results.get(`${perTurn}|${batch}|${policy}`) ?? [0]);
      console.log(
        `| ${perTurn} | ${batch} | ${policy} | ${Math.round(rate).toLocaleString('en-US')} | ${((rate / ceiling) * 100).toFixed(1)} % |`,
      );
    }
  }
}
