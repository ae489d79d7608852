import fs from 'node:fs';

/** Every process's CPU ticks (user + system), and the host's busy ticks, from /proc (Linux; elsewhere empty). */
export interface CpuSample {
  ticks: Map<number, { ppid: number; ticks: number }>;
  hostBusy: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ, what /proc reports in on Linux

export function sampleCpu(): CpuSample {
  const ticks = new Map<number, { ppid: number; ticks: number }>();
  let hostBusy = 0;
  try {
    const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    hostBusy = user + nice + system + irq + softirq + steal;
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
  return { ticks, hostBusy };
}

/**
 * CPU seconds between two samples per named process tree (a root pid and its descendants), and the rest of the
 * host as `other` (other people's work on a shared machine).
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
  return Object.fromEntries(Object.entries(spent).map(([name, ticks]) => [name, Math.round((ticks / TICKS_PER_SECOND) * 100) / 100]));
}
