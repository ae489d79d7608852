import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../auth/actor.ts';
import { db } from '../db/client.ts';
import { loadDownstream, temporalWorkflowUrl, UnknownAdjustmentError } from './downstream.ts';
import { parseSearchParams, searchInventory } from './search.ts';
import { adjustStock } from './stock.ts';

const actor: Actor = { id: 'associate@test', role: 'associate' };
const storeId = `D-${randomUUID().slice(0, 8)}`;
const skuPrefix = `DS-${randomUUID().slice(0, 6).toUpperCase()}`;
const skus = ['A', 'B', 'C'].map((suffix) => `${skuPrefix}-${suffix}`);
const link = temporalWorkflowUrl('http://temporal-ui.test', 'default');

beforeAll(async () => {
  await db().store.create({ data: { storeId, name: 'Downstream store', city: 'Testville' } });
  await db().catalogItem.createMany({ data: skus.map((sku, i) => ({ sku, name: `Downstream item ${i}`, category: 'test', reorderPoint: 3 })) });
});
afterAll(async () => {
  await db().$disconnect();
});

/** What the processor would record: the change's commit HLC comes a little after the updated_at the write set. */
async function recordOutcomes(adjustmentId: bigint, offset: number, outcomes: { subProcessor: string; outcome: 'applied' | 'ignored' | 'duplicate' }[]) {
  const [row] = await db().$queryRaw<{ us: bigint; store_id: string; sku: string }[]>`
    SELECT (extract(epoch FROM row_updated_at) * 1000000)::bigint AS us, store_id, sku FROM inventory_adjustments WHERE id = ${adjustmentId}`;
  if (!row) throw new Error('no adjustment');
  const updated = `${(BigInt(row.us) + 40n) * 1000n}.0000000000`;
  for (const { subProcessor, outcome } of outcomes) {
    await db().changeOutcome.create({
      data: {
        tableName: 'inventory_levels',
        rowKey: JSON.stringify([row.store_id, row.sku]),
        updated,
        topic: 'inventory_levels',
        partition: 1,
        offset: BigInt(offset),
        subProcessor,
        outcome,
        workflowId: outcome === 'applied' ? `stream:${subProcessor}:${row.store_id}` : null,
        latencyMs: 5,
      },
    });
  }
  return updated;
}

describe('loadDownstream', () => {
  it('matches each of two quick adjustments of one row to its own change, and waits while one is missing', async () => {
    const sku = skus[0]!;
    const first = await adjustStock(db(), { storeId, sku, delta: 10, reason: 'receive' }, actor);
    const second = await adjustStock(db(), { storeId, sku, delta: -4, reason: 'sale' }, actor);

    const waiting = await loadDownstream(db(), second.adjustmentId, link);
    expect(waiting).toMatchObject({ complete: false, workflows: [], adjustment: { id: second.adjustmentId.toString(), onHandAfter: 6, reason: 'sale' } });
    expect(waiting.changes[0]).toMatchObject({ table: 'inventory_levels', updated: null, kafka: null });

    const firstUpdated = await recordOutcomes(first.adjustmentId, 10, [
      { subProcessor: 'availability-sync', outcome: 'applied' },
      { subProcessor: 'low-stock-replenishment', outcome: 'applied' },
    ]);
    const secondUpdated = await recordOutcomes(second.adjustmentId, 11, [{ subProcessor: 'availability-sync', outcome: 'ignored' }]);

    const one = await loadDownstream(db(), first.adjustmentId, link);
    expect(one.complete).toBe(true);
    expect(one.changes[0]).toMatchObject({ updated: firstUpdated, kafka: { topic: 'inventory_levels', partition: 1, offset: '10' } });
    expect(one.workflows.map((w) => w.url)).toEqual([
      `http://temporal-ui.test/namespaces/default/workflows/${encodeURIComponent(`stream:availability-sync:${storeId}`)}`,
      `http://temporal-ui.test/namespaces/default/workflows/${encodeURIComponent(`stream:low-stock-replenishment:${storeId}`)}`,
    ]);

    const two = await loadDownstream(db(), second.adjustmentId, link);
    expect(two.changes[0]).toMatchObject({ updated: secondUpdated, kafka: { offset: '11' }, complete: false });
    expect(two.changes[0]?.subProcessors.map((sp) => [sp.name, sp.outcomes.map((o) => o.outcome)])).toEqual([
      ['availability-sync', ['ignored']],
      ['low-stock-replenishment', []],
    ]);
  });

  it('answers an unknown adjustment with UnknownAdjustmentError', async () => {
    await expect(loadDownstream(db(), 999_999_999_999n, link)).rejects.toBeInstanceOf(UnknownAdjustmentError);
  });
});

describe('searchInventory', () => {
  it('pages through a store in SKU order with a cursor, and filters by SKU prefix and name', async () => {
    for (const sku of skus.slice(1)) await adjustStock(db(), { storeId, sku, delta: 2, reason: 'receive' }, actor);

    const first = await searchInventory(db(), parseSearchParams(new URLSearchParams({ store: storeId, limit: '2' })));
    expect(first.rows.map((row) => row.sku)).toEqual(skus.slice(0, 2));
    expect(first.rows[0]).toMatchObject({ storeId, storeName: 'Downstream store', itemName: 'Downstream item 0', onHand: 6, reorderPoint: 3, available: null });
    expect(first.nextCursor).not.toBeNull();

    const second = await searchInventory(db(), parseSearchParams(new URLSearchParams({ store: storeId, limit: '2', cursor: first.nextCursor! })));
    expect(second.rows.map((row) => row.sku)).toEqual(skus.slice(2));
    expect(second.nextCursor).toBeNull();

    const byPrefix = await searchInventory(db(), parseSearchParams(new URLSearchParams({ sku: skus[1]!.toLowerCase() })));
    expect(byPrefix.rows.map((row) => [row.storeId, row.sku])).toEqual([[storeId, skus[1]]]);
    const byName = await searchInventory(db(), parseSearchParams(new URLSearchParams({ store: storeId, q: 'ITEM 2' })));
    expect(byName.rows.map((row) => row.sku)).toEqual([skus[2]]);
  });
});
