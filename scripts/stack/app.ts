import path from 'node:path';
import { repoRoot } from './paths.ts';
import { waitFor, type Supervisor } from './supervisor.ts';

const bin = (name: string) => path.join(repoRoot, 'node_modules', '.bin', name);

export interface AppOptions {
  env: NodeJS.ProcessEnv;
  /** 'inherit-prefixed' echoes to the terminal; a path sends output to that log file. */
  output: string;
}

/** The worker process: Temporal worker, heartbeat, and (later) the CDC relay and Kafka processors. */
export function startWorker(supervisor: Supervisor, { env, output }: AppOptions) {
  return supervisor.spawn('worker', process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker', 'main.ts')], {
    cwd: repoRoot,
    env,
    output,
  });
}

/** The Next.js console; resolves once it serves its health endpoint (first compile included). */
export async function startConsole(
  supervisor: Supervisor,
  { env, output, port, distDir }: AppOptions & { port: number; distDir: string },
): Promise<string> {
  const proc = supervisor.spawn('console', bin('next'), ['dev', '--port', String(port)], {
    cwd: repoRoot,
    env: { ...env, DASHOPS_NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1' },
    output,
  });
  let exited = false;
  proc.on('exit', () => (exited = true));
  const url = `http://localhost:${port}`;
  await waitFor(
    `the console on ${url}`,
    async () => {
      if (exited) throw new Error('the console process exited during startup (see its output above)');
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      return res.status === 200 || res.status === 503;
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
  return url;
}
