import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Prisma, PrismaClient } from '../db/generated/client.ts';
import type { Client } from '@temporalio/client';
import type { StreamMessage, StreamWorkflowInput } from '../temporal/contract.ts';
import { runSubProcessor, runSubProcessorBatch, type AnySubProcessor, type AnyTableChange } from './run-sub-processor.ts';
import { classifyStreamError, enqueueChange } from './stream-signal.ts';
import type { ProcessContext } from './sub-processor.ts';
import { levelChange } from '../testing/level-change.ts';

// The database side (watermarks, outcome rows) is covered by the integration tests; here it is a stub that
// answers the watermark read with `watermark` and records each write: its SQL, and the sub-processors whose
// watermarks it advances (the first array the statement binds).
function context(watermark: { updatedWall: bigint; updatedLogical: number } | null = null) {
  const statements: string[] = [];
  const advanced: unknown[][] = [];
  const db = {
    $queryRaw: async () => (watermark ? [{ sub_processor: 'test-sp', table_name: change.table, row_key: change.rowKey, updated_wall: watermark.updatedWall, updated_logical: watermark.updatedLogical }] : []),
    $executeRaw: async (sql: Prisma.Sql) => {
      statements.push(sql.sql);
      advanced.push(sql.values[0] as unknown[]);
      return 1;
    },
  } as unknown as PrismaClient;
  const ctx: ProcessContext = { db, temporal: undefined as never, log: pino({ level: 'silent' }) };
  return { ctx, statements, advanced };
}

const change = levelChange;

function subProcessor(overrides: Partial<AnySubProcessor> & { failures?: number } = {}) {
  let calls = 0;
  const sp: AnySubProcessor = {
    name: 'test-sp',
    accepts: () => true,
    process: async () => {
      calls++;
      if (calls <= (overrides.failures ?? 0)) throw new Error(`failure ${calls}`);
      return { outcome: 'applied', workflowId: 'wf-1' };
    },
    onError: () => 'retry',
    ...overrides,
  };
  return { sp, calls: () => calls };
}

const fast = (delays: number[], heartbeats: { n: number }) => ({
  random: () => 0.5,
  delay: async (ms: number) => void delays.push(ms),
  heartbeat: async () => void heartbeats.n++,
});

describe('runSubProcessor', () => {
  it('retries with exponential backoff, heartbeating between attempts, and reports the attempts on success', async () => {
    const delays: number[] = [];
    const heartbeats = { n: 0 };
    const { sp, calls } = subProcessor({ failures: 2 });
    const { ctx, statements, advanced } = context();

    const result = await runSubProcessor(sp, change, ctx, { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, ...fast(delays, heartbeats) });

    expect(result).toMatchObject({ outcome: 'applied', workflowId: 'wf-1', attempts: 3 });
    expect(result.firstFailedAt).toBeInstanceOf(Date);
    expect(calls()).toBe(3);
    expect(delays).toEqual([75, 150]);
    expect(heartbeats.n).toBe(2);
    // One statement: the watermark advance rides with the outcome row.
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/WITH marks AS \(\s*INSERT INTO processor_watermarks[\s\S]*INSERT INTO change_outcomes/);
    expect(advanced[0]).toEqual(['test-sp']);
  });

  it('gives up after maxAttempts, without advancing the watermark', async () => {
    const delays: number[] = [];
    const { sp, calls } = subProcessor({ failures: 99 });
    const { ctx, statements, advanced } = context();

    const result = await runSubProcessor(sp, change, ctx, { maxAttempts: 3, ...fast(delays, { n: 0 }) });

    expect(result).toMatchObject({ outcome: 'dead_lettered', attempts: 3, gaveUp: 'retries_exhausted', detail: 'Error: failure 3' });
    expect(calls()).toBe(3);
    expect(delays).toHaveLength(2);
    expect(statements).toHaveLength(1);
    expect(advanced[0]).toEqual([]);
  });

  it('stops at once when onError says dead-letter, passing the attempt number', async () => {
    const seen: number[] = [];
    const { sp } = subProcessor({ failures: 99, onError: (_change, _error, attempt) => (seen.push(attempt), attempt >= 2 ? 'dead-letter' : 'retry') });
    const result = await runSubProcessor(sp, change, context().ctx, { maxAttempts: 5, ...fast([], { n: 0 }) });
    expect(result).toMatchObject({ outcome: 'dead_lettered', attempts: 2, gaveUp: 'non_retryable' });
    expect(seen).toEqual([1, 2]);
  });

  it('falls back to retrying when onError itself throws', async () => {
    const { sp } = subProcessor({ failures: 1, onError: () => { throw new Error('classifier bug'); } });
    expect(await runSubProcessor(sp, change, context().ctx, fast([], { n: 0 }))).toMatchObject({ outcome: 'applied', attempts: 2 });
  });

  it('ignores a change accepts() rejects without calling process, and still advances the watermark', async () => {
    const { sp, calls } = subProcessor({ accepts: () => false });
    const { ctx, advanced } = context();
    expect(await runSubProcessor(sp, change, ctx)).toMatchObject({ outcome: 'ignored', attempts: 0 });
    expect(calls()).toBe(0);
    expect(advanced[0]).toEqual(['test-sp']);
  });

  it('dead-letters, rather than throws, when accepts() throws', async () => {
    const { sp, calls } = subProcessor({ accepts: () => { throw new TypeError('no after row'); } });
    const result = await runSubProcessor(sp, change, context().ctx);
    expect(result).toMatchObject({ outcome: 'dead_lettered', attempts: 0, gaveUp: 'non_retryable', detail: 'accepts() threw: TypeError: no after row' });
    expect(calls()).toBe(0);
  });

  it('drops a duplicate and a stale change without calling process', async () => {
    const { sp, calls } = subProcessor();
    const same = context({ updatedWall: change.updated.wall, updatedLogical: 0 });
    const newer = context({ updatedWall: change.updated.wall, updatedLogical: 1 });
    expect(await runSubProcessor(sp, change, same.ctx)).toMatchObject({ outcome: 'duplicate', attempts: 0 });
    expect(await runSubProcessor(sp, change, newer.ctx)).toMatchObject({ outcome: 'stale', attempts: 0 });
    expect(calls()).toBe(0);
    expect(newer.advanced[0]).toEqual([]);
  });
});

describe('runSubProcessorBatch with a stream sub-processor', () => {
  function fakeTemporal(fail?: (workflowId: string) => Error | undefined) {
    const signals: { workflowId: string; input: StreamWorkflowInput; messages: StreamMessage[] }[] = [];
    const temporal = {
      workflow: {
        async signalWithStart(_type: string, options: { workflowId: string; args: [StreamWorkflowInput]; signalArgs: [StreamMessage[]] }) {
          const error = fail?.(options.workflowId);
          if (error) throw error;
          signals.push({ workflowId: options.workflowId, input: options.args[0], messages: options.signalArgs[0] });
          return { workflowId: options.workflowId, signaledRunId: 'run-1' };
        },
      },
    } as unknown as Client;
    return { temporal, signals };
  }
  const at = (storeId: string, offset: number, logical: number): AnyTableChange => ({
    ...change,
    key: [storeId, 'sku-1'],
    rowKey: JSON.stringify([storeId, 'sku-1']),
    after: { store_id: storeId, sku: 'sku-1', on_hand: offset },
    updated: { wall: change.updated.wall, logical },
    updatedText: `${change.updated.wall}.${String(logical).padStart(10, '0')}`,
    source: { topic: 'inventory_levels', partition: 0, offset: String(offset) },
  });
  const retry = { maximumAttempts: 3, initialIntervalMs: 500, maximumIntervalMs: 2000 };
  const streamSp: AnySubProcessor = {
    name: 'stream-sp',
    accepts: () => true,
    process: async (c) => enqueueChange({ shardKey: String(c.key[0]), activity: 'syncAvailability', payload: { storeId: c.key[0] }, retry }),
    onError: () => 'retry',
  };

  it('sends one SignalWithStart per shard carrying its messages in offset order, with the sub-processor\'s retry bounds', async () => {
    const { ctx, advanced } = context();
    const { temporal, signals } = fakeTemporal();
    const changes = [at('s1', 1, 1), at('s2', 2, 1), at('s1', 3, 2), at('s1', 4, 2)];
    const results = await runSubProcessorBatch(streamSp, changes, { ...ctx, temporal });

    expect(results.map((r) => r.outcome)).toEqual(['signalled', 'signalled', 'signalled', 'duplicate']);
    expect(signals.map(({ workflowId, messages }) => [workflowId, messages.map((m) => m.source?.offset)])).toEqual([
      ['stream:stream-sp:s1', ['1', '3']],
      ['stream:stream-sp:s2', ['2']],
    ]);
    expect(signals[0]?.input.retry).toEqual(retry);
    expect(results[0]).toMatchObject({ workflowId: 'stream:stream-sp:s1', detail: `signalled inventory_levels:["s1","sku-1"]@${changes[0]!.updatedText}` });
    // One watermark per key: s1 at its newest version, s2.
    expect(advanced[0]).toEqual(['stream-sp', 'stream-sp']);
  });

  it('throws, rather than dead-letters, when Temporal stays unreachable: the chunk is redelivered', async () => {
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14, details: 'connection refused', metadata: {} });
    const { temporal } = fakeTemporal(() => unavailable);
    const { ctx, statements } = context();
    await expect(runSubProcessorBatch(streamSp, [at('s1', 1, 1)], { ...ctx, temporal }, { maxAttempts: 2, ...fast([], { n: 0 }) })).rejects.toBe(unavailable);
    expect(statements).toHaveLength(0);
  });

  it('dead-letters a group Temporal refuses as invalid message by message, signalling the rest', async () => {
    const invalid = Object.assign(new Error('3 INVALID_ARGUMENT: payload too large'), { code: 3, details: 'payload too large', metadata: {} });
    let calls = 0;
    const { temporal, signals } = fakeTemporal(() => (++calls === 1 || calls === 2 ? invalid : undefined));
    const sp: AnySubProcessor = { ...streamSp, onError: (_change, error) => classifyStreamError(error) };
    const { ctx } = context();
    const results = await runSubProcessorBatch(sp, [at('s1', 1, 1), at('s1', 2, 2)], { ...ctx, temporal }, fast([], { n: 0 }));
    expect(results.map((r) => [r.outcome, r.gaveUp])).toEqual([['dead_lettered', 'non_retryable'], ['signalled', undefined]]);
    expect(signals.map(({ messages }) => messages.map((m) => m.source?.offset))).toEqual([['2']]);
  });
});
