/** Receivers and assemblers as child processes (an assembler is SIGKILLed in the cluster test). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDaemon } from '../../faults/support/child-process.js';
import type { CollectorProcess } from '../../faults/support/collector-process.js';
import { waitFor } from '../../faults/support/wait.js';

/**
 * Several collectors compile (tsx) and join Kafka at once on a shared 2-core machine: starting five took
 * 18 s at a load average of 20, so the start allowance is wider than the single-daemon fault tests'.
 */
const START_TIMEOUT_MILLIS = 120_000;

async function startCollector(configFile: string): Promise<CollectorProcess> {
  const daemon = runDaemon('collector/dist/main.js', ['--config', configFile, '--udp-port', '0', '--http-port', '0']);
  let exited: number | string | undefined;
  void daemon.exited.then((code) => {
    exited = code;
  });
  const listening = await waitFor(
    `collector ${configFile} to log its ports`,
    () => {
      if (exited !== undefined)
        throw new Error(`collector exited with ${exited}: ${daemon.stderr()}${daemon.stdout()}`);
      for (const line of daemon.stdout().split('\n')) {
        if (line.includes('"udpPort"')) return JSON.parse(line) as { udpPort: number; httpUrl: string };
      }
      return undefined;
    },
    START_TIMEOUT_MILLIS,
    100,
  );
  return {
    ...daemon,
    udpPort: listening.udpPort,
    httpPort: Number(new URL(listening.httpUrl).port),
    httpUrl: listening.httpUrl,
  };
}

/** What every member of one test cluster shares. */
export interface ClusterSettings {
  dir: string;
  brokers: string;
  esUrl: string;
  topic: string;
  clusterTopic: string;
  groupId: string;
  indexPrefix: string;
  partitions: number;
  spanTimeoutMillis: number;
  sessionTimeoutMillis: number;
  /** Extra `kafka:` lines (indented two spaces). */
  extraKafka?: string;
}

/** A started member and its name. */
export interface Member extends CollectorProcess {
  name: string;
  role: 'receiver' | 'assembler';
}

/** Writes a member's config file and starts it; resolves once it listens. */
export async function startMember(
  settings: ClusterSettings,
  role: 'receiver' | 'assembler',
  name: string,
): Promise<Member> {
  const file = join(settings.dir, `${name}.yml`);
  writeFileSync(
    file,
    [
      `role: ${role}`,
      'kafka:',
      `  brokers: [${settings.brokers}]`,
      `  topic: ${settings.topic}`,
      `  clusterTopic: ${settings.clusterTopic}`,
      `  groupId: ${settings.groupId}`,
      `  partitions: ${settings.partitions}`,
      `  memberName: ${name}`,
      `  sessionTimeoutMillis: ${settings.sessionTimeoutMillis}`,
      '  commitIntervalMillis: 500',
      '  publishIntervalMillis: 1000',
      ...(settings.extraKafka ? [settings.extraKafka] : []),
      'assembly:',
      `  spanTimeoutMillis: ${settings.spanTimeoutMillis}`,
      'storage:',
      '  type: elasticsearch',
      '  elasticsearch:',
      `    nodes: [${settings.esUrl}]`,
      `    indexPrefix: ${settings.indexPrefix}`,
      `    spoolDir: ${join(settings.dir, `spool-${name}`)}`,
      '    flushIntervalMillis: 200',
      'logging:',
      '  level: info',
      '',
    ].join('\n'),
  );
  const process = await startCollector(file);
  return { ...process, name, role };
}

/** GET a member's JSON. */
export async function memberJson<T>(member: Member, path: string): Promise<T> {
  const res = await fetch(`${member.httpUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${member.name} ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
