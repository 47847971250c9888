import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The real backends integration tests run against; `test/infra/backends.sh start` provides them. */
export type Backend = 'elasticsearch' | 'elasticsearch9' | 'redis' | 'influx' | 'chromium' | 'kafka';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENV_FILE = `${ROOT}.phosphor/backends.env`;
const SCRIPT = `${ROOT}test/infra/backends.sh`;

const ENV_KEYS: Record<Backend, string> = {
  elasticsearch: 'PHOSPHOR_TEST_ES_URL',
  elasticsearch9: 'PHOSPHOR_TEST_ES9_URL',
  redis: 'PHOSPHOR_TEST_REDIS_URL',
  influx: 'PHOSPHOR_TEST_INFLUX_URL',
  chromium: 'PHOSPHOR_TEST_CHROMIUM',
  kafka: 'PHOSPHOR_TEST_KAFKA_BROKERS',
};

const HOW_TO_START = 'run `npm test` (provisions everything) or `bash test/infra/backends.sh start`';

function configured(backend: Backend): string {
  return configuredValue(ENV_KEYS[backend], backend);
}

/**
 * A value `backends.sh` wrote to .phosphor/backends.env (or the same name from the environment), e.g. the
 * secured node's CA path or API key. Throws, saying how to provision, when it is missing.
 */
export function configuredValue(key: string, backend: string = key): string {
  const fromEnv = process.env[key];
  if (fromEnv) return fromEnv;
  if (existsSync(ENV_FILE)) {
    for (const line of readFileSync(ENV_FILE, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0 && line.slice(0, eq) === key) return line.slice(eq + 1).trim();
    }
  }
  throw new Error(
    `${backend} is required by this test but ${key} is not set and ${ENV_FILE} does not name it: ${HOW_TO_START}`,
  );
}

async function httpOk(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return res.ok ? undefined : `HTTP ${res.status} from ${url}`;
  } catch (err) {
    return `${url} did not answer: ${(err as Error).message}`;
  }
}

/** Kafka answers on TCP once its listener is up; the client then checks the protocol itself. */
function tcpOpen(hostPort: string): Promise<string | undefined> {
  const colon = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, colon);
  const port = Number(hostPort.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => finish(`${hostPort} did not accept a connection within 5 s`), 5000);
    function finish(problem: string | undefined): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    }
    socket.on('connect', () => finish(undefined));
    socket.on('error', (err) => finish(`${hostPort}: ${err.message}`));
  });
}

function redisPing(url: string): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const timer = setTimeout(() => finish(`Redis at ${url} did not answer PING within 5 s`), 5000);
    function finish(problem: string | undefined): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    }
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => finish(data.toString().startsWith('+PONG') ? undefined : `Redis answered ${data}`));
    socket.on('error', (err) => finish(`Redis at ${url}: ${err.message}`));
  });
}

/**
 * Returns the URL (or, for chromium, the executable path) of a real backend, after checking that it
 * answers. Throws a descriptive error otherwise: tests that need a real backend fail loudly, never skip.
 */
export async function requireBackend(backend: Backend): Promise<string> {
  const value = configured(backend);
  let problem: string | undefined;
  switch (backend) {
    case 'elasticsearch':
      problem = await httpOk(`${value}/_cluster/health`);
      break;
    case 'elasticsearch9':
      problem = await securedEsOk(value);
      break;
    case 'influx':
      problem = await httpOk(`${value}/health`);
      break;
    case 'redis':
      problem = await redisPing(value);
      break;
    case 'kafka':
      problem = await tcpOpen(value.split(',')[0] ?? value);
      break;
    case 'chromium':
      try {
        accessSync(value, constants.X_OK);
      } catch {
        problem = `${value} is not an executable`;
      }
      break;
  }
  if (problem) throw new Error(`${backend} is required by this test but is not usable: ${problem}. ${HOW_TO_START}`);
  return value;
}

/** Cluster health over HTTPS, verified against the node's own CA, as the provisioned user. */
function securedEsOk(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let ca: Buffer;
    try {
      ca = readFileSync(configuredValue('PHOSPHOR_TEST_ES9_CA', 'elasticsearch9'));
    } catch (err) {
      resolve(`cannot read its CA: ${(err as Error).message}`);
      return;
    }
    const auth = `${configuredValue('PHOSPHOR_TEST_ES9_USERNAME', 'elasticsearch9')}:${configuredValue('PHOSPHOR_TEST_ES9_PASSWORD', 'elasticsearch9')}`;
    const req = httpsGet(`${url}/_cluster/health`, { ca, auth, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode} from ${url}/_cluster/health`);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (err) => resolve(`${url} did not answer: ${err.message}`));
  });
}

const run = promisify(execFile);

const SCRIPT_NAMES: Record<Exclude<Backend, 'chromium'>, string> = {
  elasticsearch: 'es',
  elasticsearch9: 'es9',
  redis: 'redis',
  influx: 'influx',
  kafka: 'kafka',
};

/** Kills the Kafka broker with SIGKILL (a crash, not a controlled shutdown). */
export async function killKafka(): Promise<void> {
  await run('bash', [SCRIPT, 'kill-kafka'], { timeout: 60_000 });
}

/** Stops a running backend (fault-injection tests). Resolves once it is down. */
export async function stopBackend(backend: Exclude<Backend, 'chromium'>): Promise<void> {
  await run('bash', [SCRIPT, `stop-${SCRIPT_NAMES[backend]}`], { timeout: 120_000 });
}

/** Starts a stopped backend again and waits until it answers. */
export async function startBackend(backend: Exclude<Backend, 'chromium'>): Promise<void> {
  await run('bash', [SCRIPT, `start-${SCRIPT_NAMES[backend]}`], { timeout: 240_000 });
  await requireBackend(backend);
}
