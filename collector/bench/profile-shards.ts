/**
 * In-process CPU split of the sharded path, no socket and no threads:
 * `node --conditions=@phosphor/source --import tsx collector/bench/profile-shards.ts`.
 * The shard benchmark's datagrams are fed (1) to one collector core (engine,
 * aggregates, memory store), as the single core ingests them, and (2) through the receiving
 * thread's router and outbox into PROFILE_SHARDS shard cores, each step timed on this one thread:
 * what sharding adds per event before any thread, wake-up or scheduler is involved.
 */
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { EngineShardCore } from '../src/shards/engine-shard-core.js';
import { EventRouter } from '../src/shards/event-router.js';
import { shardConfig } from '../src/shards/shard-host.js';
import { ShardOutbox } from '../src/shards/shard-outbox.js';
import { TraceOwners } from '../src/shards/trace-owner.js';
import { buildRound, LOOPBACK_TRAFFIC, ROUND_DIGITS, trafficFromEnv } from './bench-datagrams.js';

const SHARDS = Number(process.env.PROFILE_SHARDS ?? 2);
const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 400);
const REPEATS = 3;

// The shard benchmark's traffic (bench:collector-shards).
const round = buildRound(trafficFromEnv(LOOPBACK_TRAFFIC));
let roundNumber = 0;
function patch(r: number): void {
  const digits = String(r).padStart(ROUND_DIGITS, '0').slice(-ROUND_DIGITS);
  for (let i = 0; i < round.datagrams.length; i++) {
    const d = round.datagrams[i] as Buffer;
    for (const offset of round.patchOffsets[i] as number[]) d.write(digits, offset, 'latin1');
  }
}
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// PROFILE_RECEIVER_SHARE: the receiving thread's slice (receiverShardShare; the config default if unset).
const config = loadConfig({
  values: {
    shards: SHARDS,
    logging: { level: 'silent' },
    ...(process.env.PROFILE_RECEIVER_SHARE ? { receiverShardShare: Number(process.env.PROFILE_RECEIVER_SHARE) } : {}),
  },
});
const logger = pino({ level: 'silent' });
// The single core is the same core (engine, aggregates, store) with the whole config, as `shards: 1` runs it.
const single = await EngineShardCore.create(loadConfig({ values: { logging: { level: 'silent' } } }), logger);
const cores = await Promise.all(
  Array.from({ length: SHARDS }, (_, i) => EngineShardCore.create(shardConfig(config, i), logger)),
);
// Routed buffers are collected per shard (copied, as the ring copies them) and ingested after routing.
const routed: { shard: number; bytes: Uint8Array }[] = [];
const outbox = new ShardOutbox(SHARDS, (shard, bytes) => routed.push({ shard, bytes: bytes.slice() }));
const router = new EventRouter(TraceOwners.forShards(SHARDS, config.receiverShardShare), outbox);

function runSingle(): number {
  const start = cpuMicros();
  for (let r = 0; r < ROUNDS; r++) {
    patch(++roundNumber);
    for (const d of round.datagrams) single.ingest(d);
  }
  return cpuMicros() - start;
}

function runSharded(): { route: number; ingest: number } {
  let route = 0;
  let ingest = 0;
  for (let r = 0; r < ROUNDS; r++) {
    patch(++roundNumber);
    let t = cpuMicros();
    for (const d of round.datagrams) router.route(d);
    outbox.flush();
    route += cpuMicros() - t;
    t = cpuMicros();
    for (const { shard, bytes } of routed) (cores[shard] as EngineShardCore).ingest(bytes);
    ingest += cpuMicros() - t;
    routed.length = 0;
  }
  return { route, ingest };
}

const events = ROUNDS * round.events;
const ns = (micros: number) => ((micros * 1000) / events).toFixed(0);
console.log(
  `${round.datagrams.length} datagrams per round, ${(round.events / round.datagrams.length).toFixed(1)} events each; ${ROUNDS} rounds per pass; CPU ns per event`,
);
runSingle();
runSharded();
for (let i = 0; i < REPEATS; i++) {
  const s = runSingle();
  const sh = runSharded();
  console.log(
    `single engine ${ns(s)} | sharded: route ${ns(sh.route)} + ${SHARDS} shard cores ${ns(sh.ingest)} = ${ns(sh.route + sh.ingest)}`,
  );
}
for (const core of [single, ...cores]) await core.close();
