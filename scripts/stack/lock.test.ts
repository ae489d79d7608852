import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { StackLock } from './lock.ts';
import { StackSetupError } from './prerequisites.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashops-lock-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

it('refuses a second stack while the first holder is alive, naming it', () => {
  const file = path.join(dir, 'stack.lock');
  const lock = StackLock.acquire(file, 'npm start');
  // Our own pid is alive, so a second acquire must refuse rather than take over.
  expect(() => StackLock.acquire(file, 'npm start')).toThrow(StackSetupError);
  expect(() => StackLock.acquire(file, 'npm start')).toThrow(new RegExp(`pid ${process.pid}`));
  lock.release();
  expect(fs.existsSync(file)).toBe(false);
});

it('takes over the lock of a run that died, and ends the children it recorded', async () => {
  const file = path.join(dir, 'stack.lock');
  // A real, finished process gives a pid that is certainly dead.
  const dead = spawnSync('true').pid;
  // A leftover service: its own process group, as the Supervisor starts them.
  const orphan = spawnSync('sh', ['-c', 'setsid sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
  const orphanPid = Number(orphan.stdout.trim());
  // `echo $!` can run before the child's setsid(): wait until it leads its own group, as the Supervisor's children do,
  // or the takeover's group kill finds no group yet.
  await expect.poll(() => processGroupOf(orphanPid), { timeout: 5000 }).toBe(orphanPid);
  fs.writeFileSync(file, JSON.stringify({ pid: dead, startedAt: 'earlier', command: 'npm start', childPids: [orphanPid] }));

  const lock = StackLock.acquire(file, 'npm start');
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, childPids: [] });
  // Generous: on two loaded cores the orphan's exit can take seconds to be seen.
  await expect.poll(() => isAlive(orphanPid), { timeout: 20_000 }).toBe(false);
  lock.release();
}, 30_000);

/** The process group id of `pid`, from /proc (the field after the state, parent pid). */
function processGroupOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed orphan whose new parent (here, a container's init) never reaps it stays a zombie: dead, though signalable.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return true;
  }
}
