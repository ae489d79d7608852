import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where stdout/stderr go: `inherit-prefixed` echoes lines as `[name] …`, a path appends to that log file. */
  output: 'inherit-prefixed' | (string & {});
  /** Run as this user (Postgres refuses root). */
  uid?: number;
  gid?: number;
  /** What asks the child to stop; SIGTERM unless the program treats another signal as "stop now". */
  stopSignal?: NodeJS.Signals;
  /** A job that ends by itself (a build): its exit is not news, and it leaves the list once it has exited. */
  finite?: boolean;
}

interface Child {
  name: string;
  proc: ChildProcess;
  stopSignal: NodeJS.Signals;
  exited: Promise<number | null>;
}

const colors = [36, 35, 33, 32, 34, 31];

/**
 * Owns every long-running child of a stack. Each child gets its own process group so that stop() can
 * signal the whole tree (a shell wrapper and its java, `next dev` and its workers), which is what keeps
 * Ctrl-C from leaving orphans behind.
 */
export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;
  /** Children being stopped on purpose: their exit is not news. */
  private readonly intentionallyStopped = new WeakSet<ChildProcess>();
  private readonly unexpectedExitHandlers: ((name: string, code: number | null) => void)[] = [];

  onUnexpectedExit(handler: (name: string, code: number | null) => void): void {
    this.unexpectedExitHandlers.push(handler);
  }

  get pids(): number[] {
    return this.children.flatMap((c) => (c.proc.pid === undefined ? [] : [c.proc.pid]));
  }

  spawn(name: string, command: string, args: string[], options: SpawnOptions): ChildProcess {
    // A step still under way when stopAll began would otherwise start a child nothing stops (an orphan on its port).
    if (this.stopping) throw new Error(`not starting ${name}: the stack is stopping`);
    const proc = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: options.uid,
      gid: options.gid,
    });
    const color = colors[this.children.length % colors.length];
    if (options.output === 'inherit-prefixed') {
      const prefix = process.stdout.isTTY ? `\x1b[${color}m[${name}]\x1b[0m ` : `[${name}] `;
      for (const stream of [proc.stdout, proc.stderr]) {
        if (!stream) continue;
        readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
      }
    } else {
      fs.mkdirSync(path.dirname(options.output), { recursive: true });
      const log = fs.createWriteStream(options.output, { flags: 'a' });
      // Two sources share one file: neither may end it, or the other's late writes fail.
      proc.stdout?.pipe(log, { end: false });
      proc.stderr?.pipe(log, { end: false });
      proc.once('close', () => log.end());
    }
    const exited = new Promise<number | null>((resolve) => {
      proc.on('error', (err) => {
        process.stderr.write(`[${name}] failed to start: ${err.message}\n`);
        resolve(-1);
      });
      proc.on('exit', (code, signal) => {
        resolve(code ?? (signal ? 128 : null));
        if (options.finite) {
          // Its process group id may be reused once it is gone: stopAll must not signal it.
          const index = this.children.findIndex((c) => c.proc === proc);
          if (index >= 0) this.children.splice(index, 1);
          return;
        }
        if (!this.stopping && !this.intentionallyStopped.has(proc)) for (const handler of this.unexpectedExitHandlers) handler(name, code);
      });
    });
    this.children.push({ name, proc, exited, stopSignal: options.stopSignal ?? 'SIGTERM' });
    return proc;
  }

  /** Stops one child (and its process group). */
  async stopChild(proc: ChildProcess, graceMs = 10_000): Promise<void> {
    const child = this.children.find((c) => c.proc === proc);
    if (!child) return;
    this.intentionallyStopped.add(proc);
    await stopGroup(child, graceMs);
    this.children.splice(this.children.indexOf(child), 1);
  }

  /** SIGKILLs one child's process group, as a crash would: no chance to clean up (fault drills). */
  async killChild(proc: ChildProcess): Promise<void> {
    const child = this.children.find((c) => c.proc === proc);
    if (!child) return;
    this.intentionallyStopped.add(proc);
    await stopGroup({ ...child, stopSignal: 'SIGKILL' }, 10_000);
    this.children.splice(this.children.indexOf(child), 1);
  }

  /** Stops children in reverse start order: consumers before the services they depend on. */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) await stopGroup(child, graceMs);
    this.children.length = 0;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Group already gone.
  }
}

async function stopGroup(child: Child, graceMs: number): Promise<void> {
  const pid = child.proc.pid;
  if (pid === undefined) return;
  if (child.proc.exitCode === null && child.proc.signalCode === null) signalGroup(pid, child.stopSignal);
  const timedOut = await Promise.race([
    child.exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
  ]);
  // The leader may exit before its group (a shell wrapper); always sweep the group once more.
  signalGroup(pid, timedOut ? 'SIGKILL' : child.stopSignal);
  if (timedOut) await child.exited;
}

/** Polls `check` until it resolves truthy or the deadline passes; the last error is the one reported. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${detail}`);
}
