/** The collector daemon as a child process (scenario 1 SIGKILLs it). */
import { type Daemon, runDaemon } from './child-process.js';
import { waitFor } from './wait.js';

/** A collector daemon that reported where it listens. */
export interface CollectorProcess extends Daemon {
  udpPort: number;
  httpPort: number;
  httpUrl: string;
}

/** How long the daemon may take to start and bind on a loaded 2-core machine. */
const START_TIMEOUT_MILLIS = 30_000;

/**
 * Starts `collector/dist/main.js --config <configFile> --udp-port <udpPort> --http-port <httpPort>` (0 = any
 * free port) and resolves once its "listening" log line names the ports.
 */
export async function startCollectorProcess(configFile: string, udpPort = 0, httpPort = 0): Promise<CollectorProcess> {
  const daemon = runDaemon('collector/dist/main.js', [
    '--config',
    configFile,
    '--udp-port',
    String(udpPort),
    '--http-port',
    String(httpPort),
  ]);
  let exitedEarly: number | string | undefined;
  void daemon.exited.then((code) => {
    exitedEarly = code;
  });
  const listening = await waitFor(
    'the collector daemon to log its ports',
    () => {
      if (exitedEarly !== undefined) {
        throw new Error(`collector exited with ${exitedEarly}: ${daemon.stderr()}${daemon.stdout()}`);
      }
      for (const line of daemon.stdout().split('\n')) {
        if (!line.includes('"udpPort"')) continue;
        const parsed = JSON.parse(line) as { udpPort: number; httpUrl: string };
        return parsed;
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
