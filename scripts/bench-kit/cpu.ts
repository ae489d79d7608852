import fs from 'node:fs';
import path from 'node:path';

/**
 * Where a benchmark's CPU went: every process's ticks from /proc, summed per named process tree (a worker with its
 * threads, Postgres with its backends), with the rest of the host as `other`. Linux only; elsewhere it is empty.
 */

export interface CpuSample {
  /** Every process's CPU ticks (user + system), with its parent. */
  ticks: Map<number, { ppid: number; ticks: number }>;
  /** /proc/stat: busy and stolen (by the hypervisor) ticks of the whole host. */
  hostBusy: number;
  hostSteal: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ, what /proc reports in on Linux

export function sampleCpu(): CpuSample {
  const ticks = new Map<number, { ppid: number; ticks: number }>();
  let hostBusy = 0;
  let hostSteal = 0;
  try {
    const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    hostBusy = user + nice + system + irq + softirq + steal;
    hostSteal = steal;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        // The process ended between listing and reading: it spent nothing we can still attribute.
      }
    }
  } catch {
    // No /proc: report nothing rather than fail the run.
  }
  return { ticks, hostBusy, hostSteal };
}

/**
 * CPU seconds (two decimals) between two samples per named process tree (a root pid and its descendants), the rest
 * of the host as `other` (other people's work on a shared machine), and the hypervisor's `steal` (within `other`).
 */
export function cpuSpent(
  before: CpuSample,
  after: CpuSample,
  roots: Map<number, string>,
  /** Splits a tree further, e.g. Postgres' WAL senders from its other backends. */
  refine: (pid: number, name: string) => string = (_pid, name) => name,
): Record<string, number> {
  const spent: Record<string, number> = {};
  let ours = 0;
  for (const [pid, { ticks }] of after.ticks) {
    let root: string | undefined;
    for (let at: number | undefined = pid, hops = 0; at && !root && hops < 64; at = after.ticks.get(at)?.ppid, hops++) root = roots.get(at);
    if (!root) continue;
    const name = refine(pid, root);
    const delta = ticks - (before.ticks.get(pid)?.ticks ?? 0);
    spent[name] = (spent[name] ?? 0) + delta;
    ours += delta;
  }
  spent.other = Math.max(0, after.hostBusy - before.hostBusy - ours);
  spent.steal = after.hostSteal - before.hostSteal;
  return Object.fromEntries(Object.entries(spent).map(([name, ticks]) => [name, Math.round((ticks / TICKS_PER_SECOND) * 100) / 100]));
}

/** A process's command line, its arguments joined by spaces; empty once it has gone. */
export function readCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** A supervised service's tree named for what it runs: postgres, temporal, kafka, else its executable's name. */
export function serviceName(pid: number): string {
  const command = readCmdline(pid);
  return /postgres/.test(command) ? 'postgres' : /temporal/.test(command) ? 'temporal' : /kafka|java/.test(command) ? 'kafka' : path.basename(command.split(' ')[0] || 'child');
}
