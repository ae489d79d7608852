import { fileURLToPath } from 'node:url';
import { WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Actor } from '../../server/auth/actor.ts';
import { db } from '../../server/db/client.ts';
import { replayDeadLetter } from '../../server/stream/dead-letter-replay.ts';
import { decodeMessage } from '../../server/stream/decode.ts';
import { claimMessages } from '../../server/stream/effect-ledger.ts';
import { runSubProcessorBatch, type AnyTableChange } from '../../server/stream/run-sub-processor.ts';
import { changeMessageId, classifyStreamError, enqueueChange } from '../../server/stream/stream-signal.ts';
import type { SubProcessor } from '../../server/stream/sub-processor.ts';
import type { InventoryLevelRow } from '../../server/stream/tables.ts';
import { streamStatusQuery, streamWorkflowId, type StreamMessage, type StreamWorkflowInput } from '../../server/temporal/contract.ts';
import { streamTestKit } from '../../server/testing/stream-test-kit.ts';
import { activityRun } from '../activities/inventory-stream.ts';
import { createStreamDeadLetterActivities } from '../activities/stream-dead-letters.ts';
import { taskQueueFor, useDevServer } from '../testing/temporal-test-env.ts';
import type { streamProcessingWorkflow } from './index.ts';

/**
 * Workflow-stage dead letters end to end on the dev server: a sub-processor's enqueue goes through the real
 * SignalWithStart path to a real stream workflow, whose batch activity fails for one message; the real
 * recordStreamDeadLetter activity records it, and the real replay path hands it back to the shard workflow.
 */

const kit = streamTestKit('wfdl');
const { prefix, admin, producer, topics } = kit;
const log = pino({ level: 'silent' });
const actor: Actor = { id: `${prefix}-engineer`, role: 'engineer' };

beforeAll(() => kit.connect());
afterAll(() => kit.cleanup([() => db().streamApplied.deleteMany({ where: { subProcessor: { startsWith: prefix } } })]));

const WALL = BigInt(Date.now()) * 1_000_000n;
const hlc = (step: number) => `${WALL}.${String(step).padStart(10, '0')}`;
const BATCH_ACTIVITY = 'applyUnlessBroken';

/** A decoded inventory_levels change of (store, sku) at `offset` of `topic`, as the processor hands it to a sub-processor. */
function levelChange(topic: string, offset: number, storeId: string, sku: string): AnyTableChange {
  const key = [storeId, sku];
  const after: InventoryLevelRow = { store_id: storeId, sku, on_hand: 4, updated_at: new Date().toISOString() };
  const decoded = decodeMessage('inventory_levels', { key: JSON.stringify(key), value: JSON.stringify({ after, before: null, key, updated: hlc(offset) }), topic, partition: 0, offset: String(offset) });
  if (decoded.kind !== 'change') throw new Error(`fixture did not decode: ${decoded.kind}`);
  return decoded.change;
}

/** Dead-letter rows of the sub-processor, oldest first. */
const deadLettersOf = (subProcessor: string) => db().deadLetter.findMany({ where: { subProcessor }, orderBy: { id: 'asc' } });
const appliedOf = (subProcessor: string) => db().streamApplied.findMany({ where: { subProcessor }, orderBy: { messageId: 'asc' } });

describe('workflow-stage dead letters on the Temporal dev server', () => {
  const devServer = useDevServer();

  it('dead-letters the one message a batch keeps failing with the run, error and per-sub-processor attempts, and a replay applies it', { timeout: 180_000 }, async () => {
    const subProcessor = `${prefix}-sp`;
    const shardKey = `store-${prefix}`;
    const topic = `${prefix}-1.inventory_levels`;
    topics.push(`${topic}.dlq`);
    await admin.createTopics({ topics: [{ topic: `${topic}.dlq`, numPartitions: 1 }], waitForLeaders: true });
    const taskQueue = taskQueueFor('workflow dead letters');

    // The sub-processor's bounds: far below the stream default (10 attempts from 1 s), so the dead letter's attempts name them.
    const bounds: { current: NonNullable<StreamWorkflowInput['retry']> } = { current: { maximumAttempts: 2, initialIntervalMs: 100, maximumIntervalMs: 100 } };
    const sp: SubProcessor<InventoryLevelRow> = {
      name: subProcessor,
      accepts: () => true,
      process: async (change) =>
        enqueueChange({ shardKey, activity: BATCH_ACTIVITY, payload: { sku: change.after?.sku }, batch: { maxSize: 10, maxWaitMs: 0 }, retry: bounds.current }),
      onError: classifyStreamError,
    };

    // The batch activity is the test's own: it claims its messages in the effect ledger and fails (retryably) every
    // batch holding a broken message, as a database refusing one row would.
    const broken = new Set<string>();
    const failedCalls: string[][] = [];
    const activities = {
      ...createStreamDeadLetterActivities({ db: db(), producer: async () => producer }),
      async [BATCH_ACTIVITY](messages: StreamMessage[]): Promise<number> {
        const bad = messages.find(({ id }) => broken.has(id));
        if (bad) {
          failedCalls.push(messages.map(({ id }) => id));
          throw new Error(`row ${bad.source?.rowKey} refused: store offline`);
        }
        return (await db().$transaction((tx) => claimMessages(tx, subProcessor, messages, activityRun()))).length;
      },
    };

    const [a, bad, c] = [levelChange(topic, 10, shardKey, 'sku-a'), levelChange(topic, 11, shardKey, 'sku-bad'), levelChange(topic, 12, shardKey, 'sku-c')];
    const late = levelChange(topic, 13, shardKey, 'sku-late');
    const badId = changeMessageId(bad);
    broken.add(badId);
    broken.add(changeMessageId(late));
    const ctx = { db: db(), temporal: devServer.client(), log };
    const workflowId = streamWorkflowId(subProcessor, shardKey);

    const worker = await Worker.create({
      connection: devServer.nativeConnection(),
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)),
      activities,
    });
    await worker.runUntil(async () => {
      try {
        // The processor's path: one SignalWithStart for the shard starts the workflow with the sub-processor's bounds.
        const results = await runSubProcessorBatch(sp, [a, bad, c], ctx, { taskQueue });
        expect(results.map(({ outcome }) => outcome)).toEqual(['signalled', 'signalled', 'signalled']);
        const runId = results[0]!.runId!;
        expect(results.every((result) => result.workflowId === workflowId && result.runId === runId)).toBe(true);
        const handle = devServer.client().workflow.getHandle<typeof streamProcessingWorkflow>(workflowId, runId);
        const described = await handle.describe();
        expect({ runId: described.runId, status: described.status.name, taskQueue: described.taskQueue }).toEqual({ runId, status: 'RUNNING', taskQueue });

        // The run's input, as the server recorded it, carries the sub-processor's bounds.
        const { events } = await handle.fetchHistory();
        const startedInput = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        expect(startedInput).toBeDefined();
        expect(defaultPayloadConverter.fromPayload<StreamWorkflowInput>(startedInput!)).toMatchObject({ subProcessor, shardKey, activity: BATCH_ACTIVITY, retry: bounds.current });

        await vi.waitFor(async () => expect(await handle.query(streamStatusQuery)).toMatchObject({ processed: 2, failed: 1, queued: 0 }), { timeout: 60_000, interval: 200 });
        // [a bad c] × 2 attempts, then halves with the same 2: [a bad] × 2, [a] applied, [bad] × 2 → dead letter, [c] applied.
        const [abc, ab] = [[a, bad, c].map(changeMessageId), [a, bad].map(changeMessageId)];
        expect(failedCalls).toEqual([abc, abc, ab, ab, [badId], [badId]]);

        const [entry, ...others] = await vi.waitFor(async () => {
          const rows = await deadLettersOf(subProcessor);
          expect(rows).toHaveLength(1);
          return rows;
        }, { timeout: 30_000, interval: 200 });
        expect(others).toEqual([]);
        expect(entry).toMatchObject({ stage: 'workflow', status: 'pending', workflowId, runId, attempts: 2, topic, partition: 0, offset: 11n, tableName: 'inventory_levels', rowKey: bad.rowKey, updated: bad.updatedText });
        expect(entry!.errorMessage).toContain(`row ${bad.rowKey} refused: store offline`);
        expect(entry!.dlqProducedAt).not.toBeNull();
        const dlqOffsets = await admin.fetchTopicOffsets(`${topic}.dlq`);
        expect(dlqOffsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0)).toBe(1);
        // The rest of the batch was applied by that run.
        expect((await appliedOf(subProcessor)).map(({ messageId, runId: ran }) => [messageId, ran])).toEqual([
          [changeMessageId(a), runId],
          [changeMessageId(c), runId],
        ]);

        // New bounds reach a running workflow only with a new run: this enqueue asks for 5 attempts, the run keeps 2.
        bounds.current = { maximumAttempts: 5, initialIntervalMs: 100, maximumIntervalMs: 100 };
        const [lateResult] = await runSubProcessorBatch(sp, [late], ctx, { taskQueue });
        expect(lateResult).toMatchObject({ outcome: 'signalled', workflowId, runId });
        const lateEntry = await vi.waitFor(async () => {
          const row = (await deadLettersOf(subProcessor)).find((candidate) => candidate.rowKey === late.rowKey);
          expect(row).toBeDefined();
          return row!;
        }, { timeout: 30_000, interval: 200 });
        expect(lateEntry).toMatchObject({ stage: 'workflow', runId, attempts: 2 });

        // Fault cleared: the replay re-signals the message to its shard's running workflow, which applies it.
        broken.clear();
        const replay = await replayDeadLetter({ db: db(), temporal: devServer.client(), registry: {}, log, streamTaskQueue: taskQueue }, entry!.id, actor);
        expect(replay).toMatchObject({ status: 'replayed', outcomes: [{ subProcessor, outcome: 'signalled', workflowId, runId }] });
        await vi.waitFor(async () => expect((await appliedOf(subProcessor)).find(({ messageId }) => messageId === badId)).toMatchObject({ workflowId, runId }), { timeout: 30_000, interval: 200 });
        expect(await handle.query(streamStatusQuery)).toMatchObject({ processed: 3, failed: 2, queued: 0 });
        expect(await db().deadLetter.findUniqueOrThrow({ where: { id: entry!.id } })).toMatchObject({ status: 'replayed', resolvedBy: actor.id, replayAttempts: 1 });
        expect(await deadLettersOf(subProcessor)).toHaveLength(2);
      } finally {
        // On a failure too: an open run would keep retrying its batch, and the worker's shutdown waits for that.
        await devServer.client().workflow.getHandle(workflowId).terminate('test done').catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
      }
    });
  });
});
