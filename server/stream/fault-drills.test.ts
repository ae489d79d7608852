import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../db/generated/client.ts';
import { cachedFaultDrills, FaultDrillError, withFaultDrill, withFaultDrills, type FaultDrillRow } from './fault-drills.ts';
import { runSubProcessor, type AnySubProcessor } from './run-sub-processor.ts';
import type { ProcessContext } from './sub-processor.ts';
import { levelChange } from '../testing/level-change.ts';

const { rowKey } = levelChange;
const change = levelChange;

const ctx: ProcessContext = {
  db: { $queryRaw: async () => [], $executeRaw: async () => 1 } as unknown as PrismaClient,
  temporal: undefined as never,
  log: pino({ level: 'silent' }),
};

function realSubProcessor() {
  let calls = 0;
  const sp: AnySubProcessor = {
    name: 'availability-sync',
    accepts: () => true,
    process: async () => {
      calls++;
      return { outcome: 'applied', workflowId: 'wf-1' };
    },
    onError: () => 'retry',
  };
  return { sp, calls: () => calls };
}

function drillLoader(rows: FaultDrillRow[]) {
  let loads = 0;
  return {
    load: async () => {
      loads++;
      return [...rows];
    },
    rows,
    loads: () => loads,
  };
}

const drill = (overrides: Partial<FaultDrillRow> = {}): FaultDrillRow => ({
  subProcessor: 'availability-sync',
  tableName: 'inventory_levels',
  rowKey,
  errorMessage: 'drill 42',
  ...overrides,
});

describe('fault drills', () => {
  it('a drilled change is dead-lettered at once, as non-retryable, with the drill message; the real process is not called', async () => {
    const { sp, calls } = realSubProcessor();
    const loader = drillLoader([drill()]);
    const result = await runSubProcessor(withFaultDrill(sp, cachedFaultDrills(loader.load)), change, ctx, { delay: async () => undefined });
    expect(result.outcome).toBe('dead_lettered');
    expect(result.gaveUp).toBe('non_retryable');
    expect(result.attempts).toBe(1);
    expect(result.error).toBeInstanceOf(FaultDrillError);
    expect(result.detail).toBe('FaultDrillError: fault drill: drill 42');
    expect(calls()).toBe(0);
  });

  it('only the named sub-processor, table and row key are drilled', async () => {
    const loader = drillLoader([drill({ subProcessor: 'low-stock-replenishment' }), drill({ tableName: 'inventory_lots' }), drill({ rowKey: '["st-2","sku-1"]' })]);
    const drills = cachedFaultDrills(loader.load);
    const { sp, calls } = realSubProcessor();
    const result = await runSubProcessor(withFaultDrill(sp, drills), change, ctx);
    expect(result.outcome).toBe('applied');
    expect(calls()).toBe(1);
  });

  it('keeps the name and accepts of the real sub-processor, and its own classification of other errors', () => {
    const sp: AnySubProcessor = { ...realSubProcessor().sp, accepts: () => false, onError: () => 'retry' };
    const wrapped = withFaultDrill(sp, cachedFaultDrills(async () => []));
    expect(wrapped.name).toBe('availability-sync');
    expect(wrapped.accepts(change)).toBe(false);
    expect(wrapped.onError(change, new Error('ECONNREFUSED'), 1)).toBe('retry');
    expect(wrapped.onError(change, new FaultDrillError('x'), 1)).toBe('dead-letter');
  });

  it('reads the drills at most once per ttl, sharing one read between concurrent lookups, and sees changes after it', async () => {
    let clock = 0;
    const loader = drillLoader([]);
    const drills = cachedFaultDrills(loader.load, { ttlMs: 1000, now: () => clock });
    await Promise.all([1, 2, 3].map(() => drills.match('availability-sync', 'inventory_levels', rowKey)));
    expect(loader.loads()).toBe(1);

    loader.rows.push(drill());
    clock = 999;
    expect(await drills.match('availability-sync', 'inventory_levels', rowKey)).toBeUndefined();
    clock = 1000;
    expect(await drills.match('availability-sync', 'inventory_levels', rowKey)).toBe('drill 42');
    expect(loader.loads()).toBe(2);
  });

  it('a failed read is not cached: the next lookup reads again', async () => {
    let fail = true;
    const drills = cachedFaultDrills(async () => {
      if (fail) throw new Error('db down');
      return [drill()];
    });
    await expect(drills.match('availability-sync', 'inventory_levels', rowKey)).rejects.toThrow('db down');
    fail = false;
    expect(await drills.match('availability-sync', 'inventory_levels', rowKey)).toBe('drill 42');
  });

  it('wraps every sub-processor of every table in the registry', () => {
    const { sp } = realSubProcessor();
    const registry = withFaultDrills({ inventory_levels: [sp], inventory_lots: [sp, { ...sp, name: 'other' }] }, cachedFaultDrills(async () => []));
    expect(registry.inventory_levels?.map((s) => s.name)).toEqual(['availability-sync']);
    expect(registry.inventory_lots?.map((s) => s.name)).toEqual(['availability-sync', 'other']);
    expect(registry.inventory_levels?.[0]).not.toBe(sp);
  });
});
