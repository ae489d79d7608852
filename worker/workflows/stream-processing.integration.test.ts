import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signalStream } from '../../server/stream/stream-signal.ts';
import {
  enqueueSignal,
  streamStatusQuery,
  type StreamDeadLetterInput,
  type StreamMessage,
  type StreamWorkflowInput,
  type StreamWorkflowStatus,
} from '../../server/temporal/contract.ts';
import { InvalidStreamMessageError } from '../activities/inventory-stream.ts';
import { streamProcessingWorkflow } from './index.ts';
import { startTimeSkippingEnv, taskQueueFor, useDevServer } from '../testing/temporal-test-env.ts';

const workflowsPath = fileURLToPath(new URL('./index.ts', import.meta.url));

const messages = (...ids: string[]): StreamMessage<{ n: string }>[] => ids.map((id) => ({ id, payload: { n: id } }));

interface RecordedBatch {
  ids: string[];
  runId: string;
}

/** A batch activity registered under a test-only name; the workflow is what is under test. */
function recorder() {
  const batches: RecordedBatch[] = [];
  const record = (batch: StreamMessage[]) => {
    const { info } = Context.current();
    batches.push({ ids: batch.map(({ id }) => id), runId: info.workflowExecution?.runId ?? '' });
  };
  return {
    batches,
    flat: () => batches.flatMap(({ ids }) => ids),
    activities: {
      async recordBatch(batch: StreamMessage[]): Promise<number> {
        record(batch);
        return batch.length;
      },
      /** Rejects, as unprocessable, any batch holding a message whose id starts with "poison". */
      async rejectPoison(batch: StreamMessage[]): Promise<number> {
        const poison = batch.find(({ id }) => id.startsWith('poison'));
        if (poison) throw new InvalidStreamMessageError(`cannot process ${poison.id}`);
        record(batch);
        return batch.length;
      },
    },
  };
}

/** Stands in for the worker's recordStreamDeadLetter (covered against the real database by the pipeline tests): records what the workflow hands it. */
function deadLetters() {
  const recorded: StreamDeadLetterInput[] = [];
  return {
    recorded,
    activities: {
      async recordStreamDeadLetter(deadLetter: StreamDeadLetterInput): Promise<void> {
        recorded.push(deadLetter);
      },
    },
  };
}

/**
 * Workflow-clock times (skipped time included) at which the run recorded each batch: an activity's scheduling
 * event, or a local activity's marker (its workflow task's completion).
 */
async function batchTimes(handle: WorkflowHandle): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? [])
    .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'recordBatch' || event.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((event) => Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6));
}

const input = (overrides: Partial<StreamWorkflowInput>): StreamWorkflowInput => ({
  subProcessor: 'test',
  shardKey: randomUUID(),
  activity: 'recordBatch',
  batch: { maxSize: 10, maxWaitMs: 1000 },
  runForMs: 60_000,
  ...overrides,
});

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath, logger: undefined });
});

describe('streamProcessingWorkflow on the time-skipping test server', () => {
  let testEnv: TestWorkflowEnvironment;

  beforeAll(async () => {
    testEnv = await startTimeSkippingEnv();
  });
  afterAll(async () => {
    await testEnv?.teardown();
  });

  async function withWorker<T>(title: string, activities: Record<string, unknown>, body: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = taskQueueFor(title);
    const worker = await Worker.create({ connection: testEnv.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return worker.runUntil(body(taskQueue));
  }

  const start = (taskQueue: string, workflowInput: StreamWorkflowInput, first: StreamMessage[]) =>
    testEnv.client.workflow.signalWithStart(streamProcessingWorkflow, {
      taskQueue,
      workflowId: `${taskQueue}-wf`,
      args: [workflowInput],
      signal: enqueueSignal,
      signalArgs: [first],
    });

  it('runs a batch as soon as maxSize messages are queued, and the remainder after maxWaitMs', async () => {
    const rec = recorder();
    const { result, startedAtMs, batchAtMs } = await withWorker('batch by size', rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ batch: { maxSize: 3, maxWaitMs: 30_000 }, runForMs: 600_000 }), messages('1', '2', '3', '4', '5', '6', '7'));
      const { startTime } = await handle.describe();
      return { result: await handle.result(), startedAtMs: startTime.getTime(), batchAtMs: await batchTimes(handle) };
    });
    expect(rec.batches.map(({ ids }) => ids)).toEqual([['1', '2', '3'], ['4', '5', '6'], ['7']]);
    const [first, second, third] = batchAtMs;
    expect(batchAtMs).toHaveLength(3);
    expect(second! - first!).toBeLessThan(5_000);
    // Measured from the workflow's start, not from the first batch: a slow first workflow task (a loaded machine)
    // schedules that batch late, while the remainder's 30 s wait counts from when the message was queued.
    expect(third! - startedAtMs).toBeGreaterThanOrEqual(30_000);
    expect(result).toMatchObject({ processed: 7, batches: 3, generation: 0, queued: 0, failed: 0 });
  });

  it('waits up to maxWaitMs to fill a batch, collecting messages from several signals', async () => {
    const rec = recorder();
    await withWorker('batch by wait', rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ batch: { maxSize: 100, maxWaitMs: 5_000 } }), messages('a', 'b'));
      await handle.signal(enqueueSignal, messages('c'));
      await handle.signal(enqueueSignal, messages('d'));
      return handle.result();
    });
    expect(rec.batches.map(({ ids }) => ids)).toEqual([['a', 'b', 'c', 'd']]);
  });

  it('keeps signal order across signals and batches', async () => {
    const rec = recorder();
    const ids = Array.from({ length: 23 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    await withWorker('ordering', rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ batch: { maxSize: 4, maxWaitMs: 500 } }), messages(...ids.slice(0, 5)));
      await handle.signal(enqueueSignal, messages(...ids.slice(5, 6)));
      await handle.signal(enqueueSignal, messages(...ids.slice(6, 17)));
      await handle.signal(enqueueSignal, messages(...ids.slice(17)));
      return handle.result();
    });
    expect(rec.flat()).toEqual(ids);
    expect(Math.max(...rec.batches.map((batch) => batch.ids.length))).toBeLessThanOrEqual(4);
  });

  it('drops messages whose id it has already seen, queued or processed', async () => {
    const rec = recorder();
    const result = await withWorker('duplicates', rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ batch: { maxSize: 10, maxWaitMs: 500 } }), messages('a', 'b', 'a'));
      await handle.signal(enqueueSignal, messages('b', 'c'));
      await vi.waitFor(async () => expect(await handle.query(streamStatusQuery)).toMatchObject({ processed: 3, queued: 0 }), { timeout: 20_000, interval: 100 });
      await handle.signal(enqueueSignal, messages('c', 'd', 'a'));
      return handle.result();
    });
    expect(rec.flat()).toEqual(['a', 'b', 'c', 'd']);
    expect(result.processed).toBe(4);
  });

  it('continues as new carrying a non-empty queue (and the ids it has seen) when runForMs elapses', async () => {
    const rec = recorder();
    let handle: WorkflowHandle<typeof streamProcessingWorkflow> | undefined;
    let firstRunId = '';
    const result = await withWorker('continue as new', rec.activities, async (taskQueue) => {
      // maxWaitMs beyond runForMs: nothing is processed before the run rolls over.
      const started = await start(taskQueue, input({ batch: { maxSize: 10, maxWaitMs: 3_600_000 }, runForMs: 60_000 }), messages('1', '2', '3'));
      handle = started;
      firstRunId = started.signaledRunId;
      expect(await started.query(streamStatusQuery)).toMatchObject({ queued: 3, processed: 0, generation: 0 });
      await testEnv.sleep(61_000);
      await vi.waitFor(async () => expect(await started.query(streamStatusQuery)).toMatchObject({ generation: 1, processed: 3, queued: 0 }), { timeout: 20_000, interval: 100 });
      await started.signal(enqueueSignal, messages('1', '4'));
      return started.result();
    });

    expect(rec.batches.map(({ ids }) => ids)).toEqual([['1', '2', '3'], ['4']]);
    const [carried, later] = rec.batches;
    expect(carried!.runId).not.toBe(firstRunId);
    expect(later!.runId).not.toBe(carried!.runId);
    expect(result).toMatchObject({ generation: 2, processed: 4, queued: 0 });
    const firstRun = await testEnv.client.workflow.getHandle(handle!.workflowId, firstRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
  });

  it('completes, without continuing as new, when runForMs elapses with an empty queue', async () => {
    const rec = recorder();
    let runId = '';
    let workflowId = '';
    const result = await withWorker('complete when idle', rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ batch: { maxSize: 2, maxWaitMs: 1_000 }, runForMs: 60_000 }), messages('a', 'b'));
      ({ signaledRunId: runId, workflowId } = handle);
      return handle.result();
    });
    expect(rec.batches.map(({ ids, runId: ran }) => ({ ids, ran }))).toEqual([{ ids: ['a', 'b'], ran: runId }]);
    expect(result).toMatchObject<Partial<StreamWorkflowStatus>>({ processed: 2, batches: 1, generation: 0, queued: 0 });
    const run = await testEnv.client.workflow.getHandle(workflowId, runId).describe();
    expect(run.status.name).toBe('COMPLETED');
  });

  it('continues as new before its history reaches maxHistoryEvents, in order and without losing messages', async () => {
    const rec = recorder();
    const ids = Array.from({ length: 15 }, (_, i) => `h${String(i).padStart(2, '0')}`);
    const result = await withWorker('history limit', rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ batch: { maxSize: 1, maxWaitMs: 0 }, runForMs: 3_600_000, maxHistoryEvents: 12 }), messages(...ids));
      return handle.result();
    });
    expect(rec.flat()).toEqual(ids);
    expect(new Set(rec.batches.map(({ runId }) => runId)).size).toBeGreaterThan(1);
    expect(result.generation).toBeGreaterThan(0);
    expect(result.processed).toBe(15);
  });

  it('still works off its queue, a batch per run, when the history limit is below what one batch takes', async () => {
    const rec = recorder();
    const result = await withWorker('tiny history limit', rec.activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ batch: { maxSize: 2, maxWaitMs: 0 }, runForMs: 60_000, maxHistoryEvents: 1 }), messages('1', '2', '3', '4', '5'));
      return handle.result();
    });
    expect(rec.batches.map(({ ids }) => ids)).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(new Set(rec.batches.map(({ runId }) => runId)).size).toBe(3);
    expect(result).toMatchObject({ processed: 5, generation: 2 });
  });

  it('dead-letters only the messages the activity rejects as unprocessable, keeping the order of the rest', async () => {
    const rec = recorder();
    const dead = deadLetters();
    const result = await withWorker('poison', { ...rec.activities, ...dead.activities }, async (taskQueue) => {
      const handle = await start(taskQueue, input({ activity: 'rejectPoison', batch: { maxSize: 3, maxWaitMs: 100 } }), messages('a', 'poison-1', 'b', 'c'));
      return handle.result();
    });
    expect(rec.batches.map(({ ids }) => ids)).toEqual([['a'], ['b'], ['c']]);
    expect(result).toMatchObject({ processed: 3, failed: 1 });
    expect(dead.recorded).toEqual([expect.objectContaining({ subProcessor: 'test', activity: 'rejectPoison', message: { id: 'poison-1', payload: { n: 'poison-1' } }, attempts: 1 })]);
    expect(dead.recorded[0]?.error).toContain('cannot process poison-1');
  });

  it('bounds the retries of a failing batch, splits it to find the failing message, and dead-letters that one alone', async () => {
    const rec = recorder();
    const dead = deadLetters();
    let failures = 0;
    const activities = {
      ...dead.activities,
      /** Fails (retryably) every batch holding a message whose id starts with "bad". */
      async failBad(batch: StreamMessage[]): Promise<number> {
        if (batch.some(({ id }) => id.startsWith('bad'))) {
          failures += 1;
          throw new Error('database said no');
        }
        return rec.activities.recordBatch(batch);
      },
    };
    const retry = { maximumAttempts: 4, initialIntervalMs: 1000, maximumIntervalMs: 1000 };
    const result = await withWorker('bounded retries', activities, async (taskQueue) => {
      const handle = await start(taskQueue, input({ activity: 'failBad', retry, batch: { maxSize: 4, maxWaitMs: 100 } }), messages('a', 'b', 'bad-1', 'c'));
      return handle.result();
    });
    // [a b bad-1 c] × 4 attempts, then halves with up to 3 attempts each: [a b] ok, [bad-1 c] × 3, [bad-1] × 3 → dead letter, [c] ok.
    expect(failures).toBe(4 + 3 + 3);
    expect(rec.batches.map(({ ids }) => ids)).toEqual([['a', 'b'], ['c']]);
    expect(result).toMatchObject({ processed: 3, failed: 1 });
    expect(dead.recorded).toEqual([expect.objectContaining({ message: { id: 'bad-1', payload: { n: 'bad-1' } }, attempts: 3, error: 'Error: database said no' })]);
  });

  it('accepts a dead-lettered message again when it is re-signalled (a replay), though it drops other seen ids', async () => {
    const rec = recorder();
    const dead = deadLetters();
    let fixed = false;
    let workflowId = '';
    const activities = {
      // The replay is signalled from inside the dead-letter activity, before it completes: the fastest a replay can
      // come, so the workflow sees the signal no later than the dead letter's completion.
      async recordStreamDeadLetter(deadLetter: StreamDeadLetterInput): Promise<void> {
        await dead.activities.recordStreamDeadLetter(deadLetter);
        fixed = true;
        await testEnv.client.workflow.getHandle(workflowId).signal(enqueueSignal, messages('a', 'poison-1'));
      },
      async rejectUntilFixed(batch: StreamMessage[]): Promise<number> {
        if (!fixed && batch.some(({ id }) => id.startsWith('poison'))) throw new InvalidStreamMessageError('not yet');
        return rec.activities.recordBatch(batch);
      },
    };
    const result = await withWorker('replay', activities, async (taskQueue) => {
      workflowId = `${taskQueue}-wf`;
      const handle = await start(taskQueue, input({ activity: 'rejectUntilFixed', batch: { maxSize: 10, maxWaitMs: 100 } }), messages('a', 'poison-1'));
      return handle.result();
    });
    expect(dead.recorded).toHaveLength(1);
    expect(rec.flat()).toEqual(['a', 'poison-1']);
    expect(result).toMatchObject({ processed: 2, failed: 1 });
  });
});

describe('signalStream on the Temporal dev server', () => {
  const devServer = useDevServer();

  it('starts one workflow per shard with SignalWithStart, and later signals reach the same run', async () => {
    const taskQueue = taskQueueFor('signal stream');
    const shardKey = `store-${randomUUID().slice(0, 8)}`;
    const rec = recorder();
    const options = { subProcessor: 'test-sp', shardKey, activity: 'recordBatch', taskQueue, batch: { maxWaitMs: 100 }, runForMs: 3_000 };

    const first = await signalStream(devServer.client(), { ...options, messages: messages('m1') });
    const second = await signalStream(devServer.client(), { ...options, messages: messages('m2', 'm1') });
    expect(first.workflowId).toBe(`stream:test-sp:${shardKey}`);
    expect(second).toEqual(first);

    const worker = await Worker.create({ connection: devServer.nativeConnection(), taskQueue, workflowBundle: bundle, activities: rec.activities });
    const result = await worker.runUntil(devServer.client().workflow.getHandle<typeof streamProcessingWorkflow>(first.workflowId, first.runId).result());
    expect(result).toMatchObject({ processed: 2, generation: 0 });
    expect(rec.flat()).toEqual(['m1', 'm2']);
    expect(new Set(rec.batches.map(({ runId }) => runId))).toEqual(new Set([first.runId]));

    const history = await devServer.client().workflow.getHandle(first.workflowId, first.runId).fetchHistory();
    const started = history.events?.filter((event) => event.workflowExecutionStartedEventAttributes) ?? [];
    const signals = history.events?.filter((event) => event.workflowExecutionSignaledEventAttributes) ?? [];
    expect(started).toHaveLength(1);
    expect(started[0]?.workflowExecutionStartedEventAttributes?.taskQueue?.name).toBe(taskQueue);
    expect(signals).toHaveLength(2);

    // Once that run has completed, the next signal starts a fresh one.
    const third = await signalStream(devServer.client(), { ...options, messages: messages('m3') });
    expect(third.workflowId).toBe(first.workflowId);
    expect(third.runId).not.toBe(first.runId);
    await devServer.client().workflow.getHandle(third.workflowId, third.runId).terminate('test done');
  });
});
