/**
 * Runs the whole system as separate processes, the way it is deployed: the collector (UDP 7760, HTTP 7761
 * with the dashboard) and the demo (ID generator, quote and gateway services, steady traffic), each logging
 * to .phosphor/run/<name>.log. Prints the dashboard URL; Ctrl-C stops everything cleanly.
 *
 * --real-backends: also provisions and starts Elasticsearch, Redis and VictoriaMetrics (test/infra/backends.sh)
 * and runs with configs/collector.real-backends.yml and configs/demo.real-backends.yml.
 *
 * --cluster: the distributed topology on this machine — the real backends plus Kafka, two receivers (UDP 7760
 * and 7762; the first serves the dashboard on 7761), two assemblers (API 7764, 7765) in one consumer group,
 * spans in Elasticsearch; the demo's tracers send to the receivers.
 *
 * With either, the backends this run started are stopped with it (those already up are left running);
 * --keep-backends leaves them all up for a faster next start.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN_DIR = `${ROOT}.phosphor/run`;
/** How long each part may take to answer before the run is abandoned (a cold start on a loaded machine takes a few seconds). */
const STARTUP_TIMEOUT_MILLIS = 60_000;
/** Grace period after SIGTERM before a child is killed. */
const STOP_TIMEOUT_MILLIS = 10_000;

const { values } = parseArgs({
  options: {
    'real-backends': { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    'keep-backends': { type: 'boolean', default: false },
    'http-port': { type: 'string', default: '7761' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: npm start [-- --real-backends | --cluster] [--keep-backends] [--http-port 7761]\n');
  process.exit(0);
}
const httpPort = Number(values['http-port']);
if (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) {
  process.stderr.write(`--http-port: must be an integer 1..65535 (got ${values['http-port']})\n`);
  process.exit(64);
}

mkdirSync(RUN_DIR, { recursive: true });
const children: { name: string; child: ChildProcess; log: string }[] = [];
let stopping = false;
const BACKENDS = `${ROOT}test/infra/backends.sh`;
/** `backends.sh status` before this run started them: what was down then is stopped on exit. */
let backendsBefore: string | undefined;

function start(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const log = `${RUN_DIR}/${name}.log`;
  const out = createWriteStream(log);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`\n[phosphor] ${name} exited (${signal ?? `code ${code}`}); last lines of ${log}:\n`);
    process.stderr.write(tail(log));
    void stopAll(1);
  });
  children.push({ name, child, log });
  return child;
}

function tail(path: string): string {
  try {
    return `${readFileSync(path, 'utf8').split('\n').slice(-20).join('\n')}\n`;
  } catch {
    return '';
  }
}

async function waitFor(name: string, url: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MILLIS;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${name} did not answer ${url} within ${STARTUP_TIMEOUT_MILLIS / 1000} s`);
}

async function waitForPort(name: string, port: number): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MILLIS;
  while (Date.now() < deadline && !stopping) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  if (!stopping)
    throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${STARTUP_TIMEOUT_MILLIS / 1000} s`);
}

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stderr.write('[phosphor] stopping…\n');
    // Demo first so its last spans still reach the collector, which flushes pending spans on SIGTERM.
    for (const { child } of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, STOP_TIMEOUT_MILLIS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    stopStartedBackends();
  }
  process.exit(code);
}

/** Stops the backends this run started (unless --keep-backends), saying which stay up. */
function stopStartedBackends(): void {
  if (backendsBefore === undefined) return;
  if (values['keep-backends']) {
    process.stderr.write(`[phosphor] backends left running (--keep-backends); stop them with: bash ${BACKENDS} stop\n`);
    return;
  }
  process.stderr.write('[phosphor] stopping the backends this run started…\n');
  try {
    execFileSync('bash', [BACKENDS, 'stop-new', backendsBefore], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    process.stderr.write(`[phosphor] stopping the backends failed: ${(err as Error).message}\n`);
  }
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

async function main(): Promise<void> {
  let collectorConfig = `${ROOT}configs/collector.yml`;
  let demoConfig = `${ROOT}configs/demo.yml`;
  const backendEnv: Record<string, string> = {};
  const collectorEnv: Record<string, string> = {};
  if (values['real-backends'] || values.cluster) {
    process.stderr.write(
      `[phosphor] starting Elasticsearch, Redis, VictoriaMetrics${values.cluster ? ' and Kafka' : ''} (test/infra/backends.sh)…\n`,
    );
    backendsBefore = execFileSync('bash', [BACKENDS, 'status'], { encoding: 'utf8' });
    const envText = execFileSync('bash', [BACKENDS, 'start'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for (const line of envText.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) backendEnv[line.slice(0, eq)] = line.slice(eq + 1);
    }
    // The collector uses the secured Elasticsearch 9 node as a deployment would: its CA and an API key, the
    // secret from the environment (backends.sh keeps it in the owner-only .phosphor/backends.env, not on stdout).
    const secrets = readFileSync(`${ROOT}.phosphor/backends.env`, 'utf8');
    const apiKey = /^PHOSPHOR_TEST_ES9_API_KEY=(.*)$/m.exec(secrets)?.[1];
    if (!apiKey || !backendEnv.PHOSPHOR_TEST_ES9_URL || !backendEnv.PHOSPHOR_TEST_ES9_CA) {
      throw new Error('test/infra/backends.sh did not report the Elasticsearch 9 URL, CA and API key');
    }
    collectorEnv.PHOSPHOR_COLLECTOR_ES_NODES = backendEnv.PHOSPHOR_TEST_ES9_URL;
    collectorEnv.PHOSPHOR_COLLECTOR_ES_CA_FILE = backendEnv.PHOSPHOR_TEST_ES9_CA;
    collectorEnv.PHOSPHOR_COLLECTOR_ES_API_KEY = apiKey;
    collectorConfig = `${ROOT}configs/collector.real-backends.yml`;
    demoConfig = `${ROOT}configs/demo.real-backends.yml`;
  }

  const base = `http://127.0.0.1:${httpPort}`;
  const demoEnv = { ...backendEnv };
  if (values.cluster) {
    await startCluster(backendEnv);
    // The tracers' collector list is a fail-over list: they send to the first receiver, the second takes over.
    demoEnv.DEMO_COLLECTORS = '127.0.0.1:7760,127.0.0.1:7762';
  } else {
    start('collector', ['collector/dist/main.js', '--config', collectorConfig, '--http-port', String(httpPort)], {
      ...backendEnv,
      ...collectorEnv,
    });
    await waitFor('collector', `${base}/health`);
  }
  start('demo', ['services/demo/dist/main.js', '--config-file', demoConfig], demoEnv);
  // The ID service answers /health; the gateway has no health route, so probe the ID service that the demo
  // starts last-but-one and then the gateway's listening socket.
  await waitFor('id-generator', 'http://127.0.0.1:8888/health');
  await waitForPort('gateway', 8080);

  process.stdout.write(
    [
      '',
      `Phosphor is running. Dashboard: ${base}/`,
      '',
      values.cluster
        ? `  cluster     receivers UDP 7760 (API ${base}) and 7762 (API :7763) → Kafka ${backendEnv.PHOSPHOR_TEST_KAFKA_BROKERS} → assemblers (API :7764, :7765); members at ${base}/#/cluster`
        : `  collector   UDP 127.0.0.1:7760, OTLP HTTP 127.0.0.1:4318 + gRPC 127.0.0.1:4317, API ${base}/api, metrics ${base}/metrics`,
      '  ID service  HTTP http://127.0.0.1:8888, gRPC 127.0.0.1:5555',
      '  demo        gateway http://127.0.0.1:8080 → quote (HTTP 8081, gRPC 5556) → ID service; traffic on',
      '              gateway → rates (OpenTelemetry SDK, HTTP 8082, OTLP out) → quote: mixed traces via /convert',
      `  storage     ${values['real-backends'] || values.cluster ? 'Elasticsearch + Redis logs + VictoriaMetrics (real backends)' : 'in-memory (Redis, Elasticsearch, InfluxDB deactivated)'}`,
      `  logs        ${RUN_DIR}/*.log`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

/** Writes one member's config into the run folder: receivers and assemblers differ only in role and ports. */
function memberConfig(name: string, role: 'receiver' | 'assembler', env: Record<string, string>): string {
  const file = `${RUN_DIR}/${name}.yml`;
  writeFileSync(
    file,
    [
      "# Written by scripts/run-all.ts --cluster; every other key keeps configs/collector.yml's default.",
      `role: ${role}`,
      'kafka:',
      `  brokers: [${env.PHOSPHOR_TEST_KAFKA_BROKERS}]`,
      `  memberName: ${name}`,
      '  partitions: 12',
      'storage:',
      '  type: elasticsearch',
      '  elasticsearch:',
      `    nodes: [${env.PHOSPHOR_TEST_ES_URL}]`,
      '    indexPrefix: phosphor-spans',
      `    spoolDir: ${RUN_DIR}/es-spool-${name}`,
      'dashboard:',
      `  distDir: ${ROOT}dashboard/dist`,
      '',
    ].join('\n'),
  );
  return file;
}

/** Two receivers and two assemblers, each its own process (as on separate hosts). */
async function startCluster(env: Record<string, string>): Promise<void> {
  if (!env.PHOSPHOR_TEST_KAFKA_BROKERS) throw new Error('backends.sh did not report a Kafka bootstrap address');
  const members: [string, 'receiver' | 'assembler', number, number][] = [
    ['receiver-1', 'receiver', 7760, httpPort],
    ['receiver-2', 'receiver', 7762, 7763],
    ['assembler-1', 'assembler', 0, 7764],
    ['assembler-2', 'assembler', 0, 7765],
  ];
  for (const [name, role, udpPort, port] of members) {
    start(
      name,
      [
        'collector/dist/main.js',
        '--config',
        memberConfig(name, role, env),
        '--udp-port',
        String(udpPort),
        '--http-port',
        String(port),
      ],
      env,
    );
  }
  await Promise.all(members.map(([name, , , port]) => waitFor(name, `http://127.0.0.1:${port}/health`)));
}

main().catch((err: Error) => {
  process.stderr.write(`[phosphor] ${err.message}\n`);
  for (const { name, log } of children) process.stderr.write(`--- ${name} (${log})\n${tail(log)}`);
  void stopAll(1);
});
