import fs from 'node:fs';
import path from 'node:path';
import { StackSetupError } from './prerequisites.ts';

interface LockContents {
  pid: number;
  startedAt: string;
  command: string;
  /** Process-group leaders this run spawned, so a later run can clean up after a crash. */
  childPids: number[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One stack per data dir: a second `npm start` (or a concurrent `npm test`) on the same data would fight over
 * ports and could corrupt the Temporal and Kafka stores, so it is refused with a clear message instead.
 */
export class StackLock {
  private constructor(private readonly file: string, private contents: LockContents) {}

  static acquire(file: string, command: string): StackLock {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const contents: LockContents = { pid: process.pid, startedAt: new Date().toISOString(), command, childPids: [] };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify(contents), { flag: 'wx' });
        return new StackLock(file, contents);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readLock(file);
      if (holder && alive(holder.pid)) {
        throw new StackSetupError(
          `DashOps is already running here: \`${holder.command}\` (pid ${holder.pid}, since ${holder.startedAt}).\n` +
            `Stop it first (Ctrl-C in its terminal, or \`kill ${holder.pid}\`). Nothing was started, and its data is untouched.`,
        );
      }
      // The previous run died without cleaning up: end whatever it left running before reusing its data.
      for (const child of holder?.childPids ?? []) {
        try {
          process.kill(-child, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      fs.rmSync(file, { force: true });
    }
    throw new StackSetupError(`Could not take the lock ${file}; another DashOps is starting at the same moment.`);
  }

  recordChildren(pids: number[]): void {
    this.contents = { ...this.contents, childPids: pids };
    fs.writeFileSync(this.file, JSON.stringify(this.contents));
  }

  release(): void {
    const holder = readLock(this.file);
    if (holder?.pid === process.pid) fs.rmSync(this.file, { force: true });
  }
}

function readLock(file: string): LockContents | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockContents;
  } catch {
    return undefined;
  }
}
