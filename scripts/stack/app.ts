import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearBuildStamp, consoleBuildDecision, consoleSourceHash, writeBuildStamp, type BuildDecision } from './console-build.ts';
import { repoRoot } from './paths.ts';
import { lastLogLine, step } from './progress.ts';
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

/**
 * Resolves once the worker `proc` has written its first heartbeat: it is connected, its Temporal workers run and its
 * consumers have started. Needs DATABASE_URL in process.env.
 */
export async function workerReady(proc: ChildProcess, { logHint }: { logHint: string }): Promise<void> {
  const { db } = await import('../../server/db/client.ts');
  let exited = false;
  proc.on('exit', () => (exited = true));
  await waitFor(
    'the worker to report in',
    async () => {
      if (exited) throw new Error(`the worker exited during startup (${logHint})`);
      const beat = await db().workerHeartbeat.findFirst({ where: { pid: proc.pid, hostname: os.hostname() }, select: { workerId: true } });
      return beat !== null;
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
}

/** The Next.js dev server (`npm run dev`); resolves once it serves its health endpoint (first compile included). */
export async function startConsole(
  supervisor: Supervisor,
  { env, output, port, distDir }: AppOptions & { port: number; distDir: string },
): Promise<string> {
  // webpack, not Turbopack: under Turbopack (Next 16.4) every request bumped the dev HMR version, so each page
  // reloaded itself in a loop ("reloadPage: HMR hash mismatch", ~7 reloads a second, sign-in impossible).
  const proc = supervisor.spawn('console', bin('next'), ['dev', '--webpack', '--port', String(port)], {
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
  const proc = supervisor.spawn(name, command, args, { cwd: repoRoot, env, output: logFile, finite: true });
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

/**
 * `npm start`'s build: reuses the one in distDir when it was built from the same sources (console-build.ts), else
 * runs buildConsole, with next's current phase as the step's progress detail.
 */
export async function ensureConsoleBuild(
  supervisor: Supervisor,
  { distDir, env, logDir }: { distDir: string; env: NodeJS.ProcessEnv; logDir: string },
): Promise<BuildDecision> {
  const absoluteDistDir = path.resolve(repoRoot, distDir);
  const sourceHash = consoleSourceHash(repoRoot);
  const decision = consoleBuildDecision(absoluteDistDir, sourceHash);
  if (!decision.build) return decision;
  const logFile = path.join(logDir, 'next-build.log');
  fs.mkdirSync(logDir, { recursive: true });
  fs.writeFileSync(logFile, '');
  clearBuildStamp(absoluteDistDir);
  await step(
    `Console production build into ${distDir} (${decision.reason}; log: ${path.relative(repoRoot, logFile)})`,
    () => buildConsole(supervisor, { distDir, env: { ...env, DASHOPS_BUILD_TYPECHECK: 'off' }, logDir }),
    // next prints each phase as "Doing this ..." and then what it finished; the phase under way is the news.
    { detail: () => lastLogLine(logFile, { matching: /\.\.\.$|\(\d+\/\d+\)/ }) },
  );
  writeBuildStamp(absoluteDistDir, sourceHash);
  return decision;
}

/**
 * `next start` on a build from buildConsole; resolves with its URL once /api/health answers. Listens on 127.0.0.1
 * unless `hostname` says otherwise; output goes to logDir/console.log unless `output` says otherwise.
 */
export async function startBuiltConsole(
  supervisor: Supervisor,
  { distDir, env, port, logDir, hostname = '127.0.0.1', output }: {
    distDir: string;
    env: NodeJS.ProcessEnv;
    port: number;
    logDir: string;
    hostname?: string;
    output?: string;
  },
): Promise<string> {
  const url = `http://127.0.0.1:${port}`;
  const proc = supervisor.spawn('console', bin('next'), ['start', '--port', String(port), '--hostname', hostname], {
    cwd: repoRoot,
    env: { ...env, DASHOPS_NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1' },
    output: output ?? path.join(logDir, 'console.log'),
  });
  let exited = false;
  proc.on('exit', () => (exited = true));
  await waitFor(
    `the console on ${url}`,
    async () => {
      if (exited) throw new Error(`the console exited (see ${output === 'inherit-prefixed' ? 'its output above' : `${path.relative(repoRoot, logDir)}/console.log`})`);
      const res = await fetch(`${url}/api/health`);
      await res.body?.cancel();
      return res.status === 200 || res.status === 503;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  return url;
}
