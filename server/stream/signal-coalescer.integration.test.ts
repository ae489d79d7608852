import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { temporal } from '../temporal/client.ts';
import type { StreamMessage } from '../temporal/contract.ts';
import { createSignalCoalescer } from './signal-coalescer.ts';

/**
 * On the real Temporal: the coalescer's merged SignalWithStart as the stream workflow's history records it. No worker
 * polls the run's queue, so the history holds exactly the signals sent; the runs are terminated afterwards.
 */
const taskQueue = `test-coalescer-${randomUUID().slice(0, 8)}`;
const started: string[] = [];

afterAll(async () => {
  for (const workflowId of started) await temporal().workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
});

const message = (id: string, size = 10): StreamMessage => ({ id, payload: { pad: 'x'.repeat(size) } });

async function signalsOf(workflowId: string): Promise<string[][]> {
  const history = await temporal().workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((event) => event.workflowExecutionSignaledEventAttributes)
    .map((event) => {
      const payload = event.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!;
      return (JSON.parse(Buffer.from(payload.data!).toString('utf8')) as StreamMessage[]).map((m) => m.id);
    });
}

describe('createSignalCoalescer', () => {
  it('sends concurrent signals to one workflow as one, in the callers’ order, and answers every caller', async () => {
    const send = createSignalCoalescer(temporal(), { lingerMs: 20 });
    const shardKey = `shard-${randomUUID().slice(0, 8)}`;
    const other = `${shardKey}-other`;
    const base = { subProcessor: 'coalescer-test', activity: 'noop', taskQueue };
    const answers = await Promise.all([
      send({ ...base, shardKey, messages: [message('a1'), message('a2')] }),
      send({ ...base, shardKey, messages: [message('b1')] }),
      send({ ...base, shardKey: other, messages: [message('c1')] }),
      send({ ...base, shardKey, messages: [message('d1')] }),
    ]);
    started.push(answers[0].workflowId, answers[2].workflowId);
    expect(new Set([answers[0], answers[1], answers[3]].map((a) => `${a.workflowId}/${a.runId}`)).size).toBe(1);
    expect(answers[2].workflowId).not.toBe(answers[0].workflowId);
    expect(await signalsOf(answers[0].workflowId)).toEqual([['a1', 'a2', 'b1', 'd1']]);
    expect(await signalsOf(answers[2].workflowId)).toEqual([['c1']]);
  });

  it('starts another signal instead of growing one past its message or byte bound', async () => {
    const send = createSignalCoalescer(temporal(), { lingerMs: 20, maxMessages: 3, maxBytes: 3_000 });
    const base = { subProcessor: 'coalescer-test', activity: 'noop', taskQueue, shardKey: `shard-${randomUUID().slice(0, 8)}` };
    const answers = await Promise.all([
      send({ ...base, messages: [message('m1'), message('m2')] }),
      send({ ...base, messages: [message('m3'), message('m4')] }),
      send({ ...base, messages: [message('big', 2_950)] }),
      send({ ...base, messages: [message('m5')] }),
    ]);
    started.push(answers[0].workflowId);
    // Separate signals may reach the server in either order; each caller's messages stay together in one.
    const signals = await signalsOf(answers[0].workflowId);
    expect(signals.map((ids) => ids.join(',')).sort()).toEqual(['big', 'm1,m2', 'm3,m4', 'm5']);
  });
});
