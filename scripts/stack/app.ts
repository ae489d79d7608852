import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.ts';
import { waitFor, type Supervisor } from './supervisor.ts';

const bin = (name: string) => path.join(repoRoot, 'node_modules', '.bin', name);

export interface AppOptions {
  env: NodeJS.ProcessEnv;
  /** 'inherit-prefixed' echoes to the terminal; a path sends output to that log file. */
  output: string;
}

/** The worker process (worker/main.ts); `nodeArgs` go to node before the script (e.g. `--cpu-prof` from a bench). */
export function startWorker(supervisor: Supervisor, { env, output, nodeArgs = [] }: AppOptions & { nodeArgs?: string[] }) {
  return supervisor.spawn('worker', process.execPath, [...nodeArgs, '--import', 'tsx', path.join(repoRoot, 'worker', 'main.ts')], {
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

/** `next build` rewrites tsconfig.json's include and next-env.d.ts for a new distDir: this puts both back. */
export function protectNextFiles(): () => void {
  const files = [path.join(repoRoot, 'tsconfig.json'), path.join(repoRoot, 'next-env.d.ts')];
  const saved = files.map((file) => ({ file, content: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined }));
  return () => {
    for (const { file, content } of saved) {
      if (content !== undefined && fs.readFileSync(file, 'utf8') !== content) fs.writeFileSync(file, content);
    }
  };
}

/** Runs a finite child under the supervisor (so teardown stops it too) and resolves when it exits 0. */
export function runToCompletion(supervisor: Supervisor, name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Promise<void> {
  const logFile = path.join(logDir, `${name}.log`);
  const proc = supervisor.spawn(name, command, args, { cwd: repoRoot, env, output: logFile });
  return new Promise((resolve, reject) => {
    proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code} (see ${path.relative(repoRoot, logFile)})`))));
  });
}

/** A production build of the console (`next build` into distDir); restores the files Next rewrites as soon as it ends. */
export function buildConsole(supervisor: Supervisor, { distDir, env, logDir }: { distDir: string; env: NodeJS.ProcessEnv; logDir: string }): Promise<void> {
  const restore = protectNextFiles();
  const built = runToCompletion(supervisor, 'next-build', bin('next'), ['build'], { ...env, DASHOPS_NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1' }, logDir).finally(restore);
  built.catch(() => undefined); // Awaited by the caller; this only keeps an early failure from being "unhandled".
  return built;
}

/** `next start` on a build from buildConsole; resolves with its URL once /api/health answers. */
export async function startBuiltConsole(
  supervisor: Supervisor,
  { distDir, env, port, logDir }: { distDir: string; env: NodeJS.ProcessEnv; port: number; logDir: string },
): Promise<string> {
  const url = `http://127.0.0.1:${port}`;
  const proc = supervisor.spawn('console', bin('next'), ['start', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: repoRoot,
    env: { ...env, DASHOPS_NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1' },
    output: path.join(logDir, 'console.log'),
  });
  let exited = false;
  proc.on('exit', () => (exited = true));
  await waitFor(
    `the console on ${url}`,
    async () => {
      if (exited) throw new Error(`the console exited (see ${path.relative(repoRoot, logDir)}/console.log)`);
      const res = await fetch(`${url}/api/health`);
      await res.body?.cancel();
      return res.status === 200 || res.status === 503;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  return url;
}
