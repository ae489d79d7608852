import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuSpent, sampleCpu, serviceName, type CpuSample } from './cpu.ts';

const sample = (ticks: [pid: number, ppid: number, ticks: number][], hostBusy: number, hostSteal = 0): CpuSample => ({
  ticks: new Map(ticks.map(([pid, ppid, t]) => [pid, { ppid, ticks: t }])),
  hostBusy,
  hostSteal,
});

describe('cpuSpent', () => {
  it('sums each named tree with its descendants, leaves the rest of the host as other, and reports steal', () => {
    const before = sample([[10, 1, 100], [11, 10, 50], [20, 1, 0]], 1000, 5);
    // 12 started meanwhile under 11; 30 is someone else's.
    const after = sample([[10, 1, 150], [11, 10, 80], [12, 11, 20], [20, 1, 40], [30, 1, 500]], 1800, 25);
    const roots = new Map([[10, 'worker'], [20, 'postgres']]);
    expect(cpuSpent(before, after, roots)).toEqual({ worker: 1, postgres: 0.4, other: 6.6, steal: 0.2 });
  });

  it('splits a tree further when asked', () => {
    const before = sample([[20, 1, 0], [21, 20, 0]], 0);
    const after = sample([[20, 1, 30], [21, 20, 70]], 100);
    const spent = cpuSpent(before, after, new Map([[20, 'postgres']]), (pid, name) => (pid === 21 ? `${name} walsender` : name));
    expect(spent).toEqual({ postgres: 0.3, 'postgres walsender': 0.7, other: 0, steal: 0 });
  });
});

describe('sampleCpu', () => {
  it('sees this process, named for its executable', () => {
    const now = sampleCpu();
    expect(now.ticks.get(process.pid)).toMatchObject({ ppid: process.ppid });
    expect(now.hostBusy).toBeGreaterThan(0);
    expect(serviceName(process.pid)).toBe(path.basename(process.argv0));
  });
});
