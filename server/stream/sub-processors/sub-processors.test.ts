import { ServiceError, type Client } from '@temporalio/client';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PrismaClient } from '../../db/generated/client.ts';
import { enqueueSignal, TASK_QUEUES, type StreamMessage, type StreamWorkflowInput } from '../../temporal/contract.ts';
import { parseHlc } from '../envelope.ts';
import { changeMessageId, classifyStreamError, InvalidChangeError, isTouch, signalStream, streamMessageFor } from '../stream-signal.ts';
import type { Change, ProcessContext, SubProcessor } from '../sub-processor.ts';
import type { ChangefeedTable, InventoryLevelRow, InventoryLotRow } from '../tables.ts';
import { availabilitySync, createExpiryWriteOff, isExpiredStock, lowStockReplenishment } from './index.ts';

const UPDATED = '1767225600000000000.0000000003';

function change<Row>(table: ChangefeedTable, op: Change<Row>['op'], before: Row | null, after: Row | null, rowKey: string): Change<Row> {
  return {
    table,
    key: JSON.parse(rowKey) as unknown[],
    rowKey,
    op,
    before,
    after,
    updated: parseHlc(UPDATED),
    updatedText: UPDATED,
    source: { topic: table, partition: 0, offset: '42' },
  };
}

const level = (on_hand: number, updated_at = '2026-01-01T00:00:00Z'): InventoryLevelRow => ({ store_id: 'SF-001', sku: 'PRD-BANANA-1LB', on_hand, updated_at });
const levelChange = (op: Change<InventoryLevelRow>['op'], before: InventoryLevelRow | null, after: InventoryLevelRow | null) =>
  change('inventory_levels', op, before, after, '["SF-001","PRD-BANANA-1LB"]');

const lot = (quantity: number, overrides: Partial<InventoryLotRow> = {}): InventoryLotRow => ({
  lot_id: 'LOT-1',
  store_id: 'NY-101',
  sku: 'DRY-MILK-2PCT-GAL',
  quantity,
  expires_on: '2026-03-09',
  updated_at: '2026-01-01T00:00:00Z',
  ...overrides,
});
const lotChange = (op: Change<InventoryLotRow>['op'], before: InventoryLotRow | null, after: InventoryLotRow | null) =>
  change('inventory_lots', op, before, after, '["LOT-1"]');

/** A Temporal client that records SignalWithStart calls. */
function fakeContext() {
  const calls: { workflowType: string; options: { taskQueue: string; workflowId: string; args: [StreamWorkflowInput]; signal: unknown; signalArgs: [StreamMessage[]] } }[] = [];
  const temporal = {
    workflow: {
      async signalWithStart(workflowType: string, options: (typeof calls)[number]['options']) {
        calls.push({ workflowType, options });
        return { workflowId: options.workflowId, signaledRunId: 'run-1' };
      },
    },
  } as unknown as Client;
  const ctx: ProcessContext = { db: {} as PrismaClient, temporal, log: pino({ level: 'silent' }) };
  return { ctx, calls };
}

/** What the framework does with a sub-processor's answer: an enqueue becomes one SignalWithStart to (sub-processor, shard). */
async function processAndSignal(sp: SubProcessor<never>, c: Change<unknown>, ctx: ProcessContext) {
  const result = await (sp as unknown as SubProcessor<unknown>).process(c, ctx);
  if (result.outcome !== 'enqueue') return { result, workflowId: undefined };
  const { shardKey, activity, payload } = result.stream;
  const { workflowId } = await signalStream(ctx.temporal, { subProcessor: sp.name, shardKey, activity, messages: [streamMessageFor(c, payload)] });
  return { result, workflowId };
}

describe('availabilitySync on inventory_levels', () => {
  it.each([
    ['an insert, even at 0', levelChange('insert', null, level(0))],
    ['a delete', levelChange('delete', level(4), null)],
    ['on-hand selling out', levelChange('update', level(3), level(0))],
    ['on-hand restocked from 0', levelChange('update', level(0), level(12))],
    ['a touch (only updated_at moved)', levelChange('update', level(7), level(7, '2026-02-01T00:00:00Z'))],
    ['an update without its before image', levelChange('update', null, level(7))],
  ])('accepts %s', (_, c) => {
    expect(availabilitySync.accepts(c)).toBe(true);
  });

  it.each([
    ['on-hand moving while stocked', levelChange('update', level(12), level(7))],
    ['on-hand falling to 1', levelChange('update', level(12, '2026-01-01T00:00:00Z'), level(1, '2026-02-01T00:00:00Z'))],
  ])('ignores %s', (_, c) => {
    expect(availabilitySync.accepts(c)).toBe(false);
  });

  it('signals the store\'s workflow with the store × SKU, keyed by table, row and version', async () => {
    const { ctx, calls } = fakeContext();
    const c = levelChange('update', level(3), level(0));
    const { result, workflowId } = await processAndSignal(availabilitySync, c, ctx);

    expect(result).toMatchObject({ outcome: 'enqueue', stream: { shardKey: 'SF-001', activity: 'syncAvailability' } });
    expect(workflowId).toBe('stream:availability-sync:SF-001');
    expect(calls).toHaveLength(1);
    const [{ workflowType, options }] = calls as [(typeof calls)[number]];
    expect(workflowType).toBe('streamProcessingWorkflow');
    expect(options.taskQueue).toBe(TASK_QUEUES.stream);
    expect(options.signal).toBe(enqueueSignal);
    expect(options.args[0]).toMatchObject({ subProcessor: 'availability-sync', shardKey: 'SF-001', activity: 'syncAvailability' });
    expect(options.signalArgs[0]).toEqual([
      {
        id: `inventory_levels:["SF-001","PRD-BANANA-1LB"]@${UPDATED}`,
        payload: { storeId: 'SF-001', sku: 'PRD-BANANA-1LB' },
        committedAtMs: 1767225600000,
        source: { table: 'inventory_levels', rowKey: '["SF-001","PRD-BANANA-1LB"]', updated: UPDATED, topic: 'inventory_levels', partition: 0, offset: '42' },
      },
    ]);
  });
});

describe('availabilitySync on inventory_lots', () => {
  it.each([
    ['a lot received (inserted with stock)', lotChange('insert', null, lot(10))],
    ['a lot depleted', lotChange('update', lot(4), lot(0))],
    ['a lot refilled from 0', lotChange('update', lot(0), lot(4))],
    ['a deleted lot that held stock', lotChange('delete', lot(3), null)],
    ['a touch', lotChange('update', lot(6), lot(6, { updated_at: '2026-02-01T00:00:00Z' }))],
  ])('accepts %s', (_, c) => {
    expect(availabilitySync.accepts(c)).toBe(true);
  });

  it.each([
    ['a partial sale from a lot', lotChange('update', lot(10), lot(6))],
    ['an empty lot inserted', lotChange('insert', null, lot(0))],
    ['an empty lot deleted', lotChange('delete', lot(0), null)],
    ['an expiry date corrected', lotChange('update', lot(5), lot(5, { expires_on: '2026-04-01' }))],
  ])('ignores %s', (_, c) => {
    expect(availabilitySync.accepts(c)).toBe(false);
  });

  it('signals with the lot\'s store × SKU, from the before image of a delete', async () => {
    const { ctx, calls } = fakeContext();
    const { workflowId } = await processAndSignal(availabilitySync, lotChange('delete', lot(3), null), ctx);
    expect(workflowId).toBe('stream:availability-sync:NY-101');
    expect(calls[0]?.options.signalArgs[0]).toMatchObject([
      { id: `inventory_lots:["LOT-1"]@${UPDATED}`, payload: { storeId: 'NY-101', sku: 'DRY-MILK-2PCT-GAL' }, committedAtMs: 1767225600000 },
    ]);
  });

  it('dead-letters a change with neither row image instead of retrying it', async () => {
    const { ctx, calls } = fakeContext();
    const broken = lotChange('update', null, null);
    const error = await availabilitySync.process(broken, ctx).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidChangeError);
    expect(availabilitySync.onError(broken, error, 1)).toBe('dead-letter');
    expect(calls).toHaveLength(0);
  });
});

describe('lowStockReplenishment', () => {
  it.each([
    ['any on-hand change', levelChange('update', level(12), level(11))],
    ['a restock', levelChange('update', level(2), level(40))],
    ['an insert', levelChange('insert', null, level(3))],
    ['a delete', levelChange('delete', level(3), null)],
    ['a touch', levelChange('update', level(7), level(7, '2026-02-01T00:00:00Z'))],
  ])('accepts %s', (_, c) => {
    expect(lowStockReplenishment.accepts(c)).toBe(true);
  });

  it('ignores an update that changed a column other than on-hand and updated_at', () => {
    const before = { ...level(7), aisle: '4' } as InventoryLevelRow;
    const after = { ...level(7), aisle: '5' } as InventoryLevelRow;
    expect(lowStockReplenishment.accepts(levelChange('update', before, after))).toBe(false);
  });

  it('signals the store\'s replenishment workflow', async () => {
    const { ctx, calls } = fakeContext();
    const { result, workflowId } = await processAndSignal(lowStockReplenishment, levelChange('update', level(12), level(4)), ctx);
    expect(result).toMatchObject({ outcome: 'enqueue' });
    expect(workflowId).toBe('stream:low-stock-replenishment:SF-001');
    expect(calls[0]?.options.args[0]).toMatchObject({ subProcessor: 'low-stock-replenishment', shardKey: 'SF-001', activity: 'suggestReplenishment' });
    expect(calls[0]?.options.signalArgs[0]?.[0]?.payload).toEqual({ storeId: 'SF-001', sku: 'PRD-BANANA-1LB' });
  });
});

describe('expiryWriteOff', () => {
  const today = '2026-03-10';
  const expiryWriteOff = createExpiryWriteOff({ now: () => new Date(`${today}T23:59:59Z`) });

  it('sees stock past its expiry date only when the lot expired before today (UTC)', () => {
    expect(isExpiredStock(lot(5, { expires_on: '2026-03-09' }), today)).toBe(true);
    expect(isExpiredStock(lot(5, { expires_on: '2026-03-09T00:00:00.000Z' }), today)).toBe(true);
    expect(isExpiredStock(lot(5, { expires_on: '2026-03-10' }), today)).toBe(false);
    expect(isExpiredStock(lot(5, { expires_on: '2026-03-11' }), today)).toBe(false);
    expect(isExpiredStock(lot(0, { expires_on: '2026-01-01' }), today)).toBe(false);
    expect(isExpiredStock(null, today)).toBe(false);
  });

  it.each([
    ['an expired lot received', lotChange('insert', null, lot(5)), true],
    ['a change to an expired lot that still holds stock', lotChange('update', lot(6), lot(5)), true],
    ['a touch of an expired lot', lotChange('update', lot(5), lot(5, { updated_at: '2026-03-10T12:00:00Z' })), true],
    ['the write-off itself (quantity to 0)', lotChange('update', lot(5), lot(0)), false],
    ['a lot expiring today', lotChange('update', lot(6), lot(5, { expires_on: today })), false],
    ['a deleted lot', lotChange('delete', lot(5), null), false],
  ])('%s → %s', (_, c, accepted) => {
    expect(expiryWriteOff.accepts(c)).toBe(accepted);
  });

  it('signals the store\'s write-off workflow with the lot id', async () => {
    const { ctx, calls } = fakeContext();
    const { result, workflowId } = await processAndSignal(expiryWriteOff, lotChange('insert', null, lot(5)), ctx);
    expect(result).toMatchObject({ outcome: 'enqueue' });
    expect(workflowId).toBe('stream:expiry-write-off:NY-101');
    expect(calls[0]?.options.args[0]).toMatchObject({ subProcessor: 'expiry-write-off', shardKey: 'NY-101', activity: 'writeOffExpiredLots' });
    expect(calls[0]?.options.signalArgs[0]?.[0]).toMatchObject({ id: `inventory_lots:["LOT-1"]@${UPDATED}`, payload: { lotId: 'LOT-1' } });
  });
});

describe('shared stream helpers', () => {
  it('gives every version of a row its own message id', () => {
    const c = levelChange('update', level(1), level(2));
    expect(changeMessageId(c)).toBe(`inventory_levels:["SF-001","PRD-BANANA-1LB"]@${UPDATED}`);
    expect(changeMessageId({ ...c, updatedText: '1767225600000000001.0000000000' })).not.toBe(changeMessageId(c));
  });

  it('calls an update a touch only when nothing but updated_at changed', () => {
    expect(isTouch(levelChange('update', level(7), level(7, '2026-02-01T00:00:00Z')))).toBe(true);
    expect(isTouch(levelChange('update', level(7), level(8, '2026-02-01T00:00:00Z')))).toBe(false);
    expect(isTouch(levelChange('insert', null, level(7)))).toBe(false);
  });

  it('dead-letters validation failures and malformed requests, and retries the rest', () => {
    const zodError = z.object({ storeId: z.string() }).safeParse({}).error;
    const grpc = (code: number) => new ServiceError('Failed to signalWithStart Workflow', { cause: Object.assign(new Error('grpc'), { code, details: '', metadata: {} }) });
    expect(classifyStreamError(zodError)).toBe('dead-letter');
    expect(classifyStreamError(new InvalidChangeError('no rows'))).toBe('dead-letter');
    expect(classifyStreamError(grpc(3))).toBe('dead-letter');
    expect(classifyStreamError(grpc(14))).toBe('retry');
    expect(classifyStreamError(new Error('connect ECONNREFUSED'))).toBe('retry');
  });
});
