import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.ts';
import { waitFor, type Supervisor } from './supervisor.ts';

const bin = (name: string) => path.join(repoRoot, 'node_modules', '.bin', name);

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Nearest-rank percentiles, rounded to 0.1 ms. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN) * 10) / 10;
  return { p50: at(50), p95: at(95), p99: at(99) };
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

/** Signs in through Auth.js's credentials endpoint, as the login form does, and returns the session cookie header. */
export async function signInOverHttp(baseUrl: string, username: string, password: string): Promise<string> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = csrfRes.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken, username, password, callbackUrl: '/' }),
  });
  await res.body?.cancel();
  const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('authjs.session-token='));
  if (!session) throw new Error(`signing in as ${username} failed (HTTP ${res.status}, no session cookie)`);
  return session.split(';')[0]!;
}
