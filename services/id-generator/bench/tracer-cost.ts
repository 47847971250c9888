/**
 * `node --import tsx services/id-generator/bench/tracer-cost.ts <profile.cpuprofile> <requests>` — what the
 * tracer costs per request in a CPU profile of the traced ID server (`BENCH_PROFILE=id-on`, see ids.bench.ts).
 * Every sample is charged to the outermost tracer entry point on its stack: the background drain (encoding and
 * sending), `beginServerHop` (IN; the id generator call inside it is listed apart, because the untraced service
 * makes the same call for its correlation id), `endServerHop` (OUT), and the fastify hooks' own frames and
 * their direct callees (not `next()`, which runs the rest of the request). Sampling adds overhead to short
 * functions, so the figures are an upper bound of the cost without the profiler.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, requestsArg] = process.argv.slice(2);
const requests = Number(requestsArg);
if (file === undefined || !(requests > 0)) {
  throw new Error('usage: tracer-cost.ts <profile.cpuprofile> <requests served while profiling (> 0)>');
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const UNTRACED_TOO = 'IN: trace id from the id generator (the untraced service makes this call too)';
const HOOKS = 'fastify hooks (own frames and direct callees)';
const tracerFile = (node: ProfileNode): boolean => node.callFrame.url.includes('tracer-lib/src');

function category(leaf: ProfileNode): string | undefined {
  let found: string | undefined;
  let inGenerator = false;
  for (let id: number | undefined = leaf.id; id !== undefined; id = parentOf.get(id)) {
    const node = byId.get(id) as ProfileNode;
    const name = node.callFrame.functionName;
    if (name === 'nextTraceId' && node.callFrame.url.includes('id-generator')) inGenerator = true;
    if (!tracerFile(node)) continue;
    if (name === 'drain' || name === 'drainSoon') found = 'flush: drain (encode + send)';
    else if (name === 'beginServerHop') found = inGenerator ? UNTRACED_TOO : 'IN: beginServerHop';
    else if (name === 'endServerHop') found = 'OUT: endServerHop';
    else if (node.callFrame.url.includes('instrument/fastify.ts')) found ??= HOOKS;
    else found ??= `other tracer code: ${name || '(anonymous)'}`;
  }
  if (found === HOOKS && !tracerFile(leaf)) {
    const parent = byId.get(parentOf.get(leaf.id) ?? -1);
    if (parent === undefined || !parent.callFrame.url.includes('instrument/fastify.ts')) return undefined;
  }
  return found;
}

let busy = 0;
const byCategory = new Map<string, number>();
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  if (micros === 0 || node.callFrame.functionName === '(idle)') continue;
  busy += micros;
  const name = category(node);
  if (name !== undefined) byCategory.set(name, (byCategory.get(name) ?? 0) + micros);
}
let tracer = 0;
console.log(`busy ${(busy / requests).toFixed(2)} µs per request over ${requests} requests`);
for (const [name, micros] of [...byCategory].sort((a, b) => b[1] - a[1])) {
  console.log(`${(micros / requests).toFixed(3).padStart(7)} µs/req  ${name}`);
  if (name !== UNTRACED_TOO) tracer += micros;
}
console.log(
  `tracer ${(tracer / requests).toFixed(2)} µs per request = ${((100 * tracer) / busy).toFixed(1)} % of the server's busy time`,
);
