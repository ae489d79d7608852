import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../db/generated/client.ts';
import { runSubProcessor, type AnySubProcessor, type AnyTableChange } from './run-sub-processor.ts';
import type { ProcessContext } from './sub-processor.ts';

// The database side (watermarks, outcome rows) is covered by the integration tests; here it is a stub that
// answers the watermark read with `watermark` and records each write: its SQL, and the sub-processors whose
// watermarks it advances (the first array the statement binds).
function context(watermark: { updatedWall: bigint; updatedLogical: number } | null = null) {
  const statements: string[] = [];
  const advanced: unknown[][] = [];
  const db = {
    $queryRaw: async () => (watermark ? [{ table_name: change.table, row_key: change.rowKey, updated_wall: watermark.updatedWall, updated_logical: watermark.updatedLogical }] : []),
    $executeRaw: async (sql: TemplateStringsArray, ...values: unknown[]) => {
      statements.push(sql.join('?'));
      advanced.push(values[0] as unknown[]);
      return 1;
    },
  } as unknown as PrismaClient;
  const ctx: ProcessContext = { db, temporal: undefined as never, log: pino({ level: 'silent' }) };
  return { ctx, statements, advanced };
}

const change: AnyTableChange = {
  table: 'inventory_levels',
  key: ['st-1', 'sku-1'],
  rowKey: '["st-1","sku-1"]',
  op: 'update',
  before: null,
  after: { store_id: 'st-1', sku: 'sku-1', on_hand: 1 },
  updated: { wall: 1_763_900_000_000_000_000n, logical: 0 },
  updatedText: '1763900000000000000.0000000000',
  source: { topic: 'inventory_levels', partition: 0, offset: '5' },
};

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
