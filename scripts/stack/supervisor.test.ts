import { describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor.ts';

const exitsAtOnce: [string, string[]] = [process.execPath, ['-e', 'process.exit(0)']];

describe('Supervisor', () => {
  it('reports a service that exits by itself, but not a finite job, which then leaves the list', async () => {
    const supervisor = new Supervisor();
    const unexpected: string[] = [];
    supervisor.onUnexpectedExit((name) => unexpected.push(name));
    try {
      const job = supervisor.spawn('next-build', ...exitsAtOnce, { output: '/dev/null', finite: true });
      await new Promise((resolve) => job.once('exit', resolve));
      const service = supervisor.spawn('worker', ...exitsAtOnce, { output: '/dev/null' });
      await new Promise((resolve) => service.once('exit', resolve));
      expect(unexpected).toEqual(['worker']);
      expect(supervisor.pids).toEqual([service.pid]);
    } finally {
      await supervisor.stopAll();
    }
  });

  it('refuses to start a child once stopAll has begun, so a step still under way leaves no orphan', async () => {
    const supervisor = new Supervisor();
    await supervisor.stopAll();
    expect(() => supervisor.spawn('console', ...exitsAtOnce, { output: '/dev/null' })).toThrow(/not starting console: the stack is stopping/);
  });
});
