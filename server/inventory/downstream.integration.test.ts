import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../auth/actor.ts';
import { db } from '../db/client.ts';
import { loadDownstream, UnknownAdjustmentError } from './downstream.ts';
import { advanceHorizon } from '../stream/retention.ts';
import { workflowLinker } from '../temporal/ui-links.ts';
import { parseSearchParams, searchInventory } from './search.ts';
import { adjustStock } from './stock.ts';

const actor: Actor = { id: 'associate@test', role: 'associate' };
const storeId = `D-${randomUUID().slice(0, 8)}`;
const skuPrefix = `DS-${randomUUID().slice(0, 6).toUpperCase()}`;
const skus = ['A', 'B', 'C'].map((suffix) => `${skuPrefix}-${suffix}`);
const link = workflowLinker({ uiUrl: 'http://temporal-ui.test', namespace: 'default' });
/** The rows written here by hand name a topic of their own: real messages on `inventory_levels` (other tests' relays) have the same small offsets. */
const SYNTHETIC_TOPIC = `test-downstream-${randomUUID().slice(0, 8)}.inventory_levels`;

beforeAll(async () => {
  await db().store.create({ data: { storeId, name: 'Downstream store', city: 'Testville' } });
  await db().catalogItem.createMany({ data: skus.map((sku, i) => ({ sku, name: `Downstream item ${i}`, category: 'test', reorderPoint: 3 })) });
});
const deadLetterIds: bigint[] = [];

afterAll(async () => {
  await db().deadLetter.deleteMany({ where: { id: { in: deadLetterIds } } });
  await db().streamApplied.deleteMany({ where: { workflowId: { endsWith: `:${storeId}` } } });
  await db().$disconnect();
});

type RecordedOutcome = 'applied' | 'signalled' | 'ignored' | 'duplicate' | 'dead_lettered';

/** What the processor would record: the change's commit HLC comes a little after the updated_at the write set. */
async function recordOutcomes(adjustmentId: bigint, offset: number, outcomes: { subProcessor: string; outcome: RecordedOutcome }[]) {
  const [row] = await db().$queryRaw<{ us: bigint; store_id: string; sku: string }[]>`
    SELECT (extract(epoch FROM row_updated_at) * 1000000)::bigint AS us, store_id, sku FROM inventory_adjustments WHERE id = ${adjustmentId}`;
  if (!row) throw new Error('no adjustment');
  const updated = `${(BigInt(row.us) + 40n) * 1000n}.0000000000`;
  const rowKey = JSON.stringify([row.store_id, row.sku]);
  for (const { subProcessor, outcome } of outcomes) {
    await db().changeOutcome.create({
      data: {
        tableName: 'inventory_levels',
        rowKey,
        updated,
        topic: SYNTHETIC_TOPIC,
        partition: 1,
        offset: BigInt(offset),
        subProcessor,
        outcome,
        workflowId: outcome === 'signalled' ? `stream:${subProcessor}:${row.store_id}` : null,
        detail: outcome === 'signalled' ? 'signalled run-1' : null,
        latencyMs: 5,
      },
    });
  }
  return { updated, rowKey, offset: BigInt(offset) };
}

/** What a stream workflow's batch activity writes with the effect. */
async function applyEffect(change: { updated: string; rowKey: string }, subProcessor: string, latencyMs: number) {
  await db().streamApplied.create({
    data: {
      subProcessor,
      messageId: `inventory_levels:${change.rowKey}@${change.updated}`,
      tableName: 'inventory_levels',
      rowKey: change.rowKey,
      updated: change.updated,
      workflowId: `stream:${subProcessor}:${storeId}`,
      runId: 'run-1',
      latencyMs,
    },
  });
}

async function deadLetter(change: { updated: string; rowKey: string; offset: bigint }, subProcessor: string, stage: 'processor' | 'workflow') {
  const entry = await db().deadLetter.create({
    data: {
      topic: SYNTHETIC_TOPIC,
      partition: 1,
      offset: change.offset,
      payload: '{}',
      headers: {},
      subProcessor,
      tableName: 'inventory_levels',
      rowKey: change.rowKey,
      updated: change.updated,
      errorMessage: `${stage} gave up`,
      attempts: 10,
      firstFailedAt: new Date(),
      lastFailedAt: new Date(),
      stage,
      ...(stage === 'workflow' ? { workflowId: `stream:${subProcessor}:${storeId}`, runId: 'run-1' } : {}),
    },
  });
  deadLetterIds.push(entry.id);
  return entry.id.toString();
}

describe('loadDownstream', () => {
  it('matches each of two quick adjustments of one row to its own change, and is done only when every queued effect is applied', async () => {
    const sku = skus[0]!;
    const first = await adjustStock(db(), { storeId, sku, delta: 10, reason: 'receive' }, actor);
    const second = await adjustStock(db(), { storeId, sku, delta: -4, reason: 'sale' }, actor);

    const waiting = await loadDownstream(db(), second.adjustmentId, link);
    expect(waiting).toMatchObject({ status: 'waiting', effects: { queued: 0, applied: 0 }, adjustment: { id: second.adjustmentId.toString(), onHandAfter: 6, reason: 'sale' } });
    expect(waiting.changes[0]).toMatchObject({ table: 'inventory_levels', updated: null, kafka: null });

    const change = await recordOutcomes(first.adjustmentId, 10, [
      { subProcessor: 'availability-sync', outcome: 'signalled' },
      { subProcessor: 'low-stock-replenishment', outcome: 'signalled' },
    ]);
    const secondChange = await recordOutcomes(second.adjustmentId, 11, [{ subProcessor: 'availability-sync', outcome: 'ignored' }]);

    const queued = await loadDownstream(db(), first.adjustmentId, link);
    expect(queued).toMatchObject({ status: 'waiting', effects: { queued: 2, applied: 0, failed: 0 } });
    expect(queued.changes[0]).toMatchObject({ updated: change.updated, kafka: { topic: SYNTHETIC_TOPIC, partition: 1, offset: '10' } });
    expect(queued.changes[0]?.subProcessors.map((sp) => [sp.name, sp.state, sp.effect?.workflowUrl])).toEqual([
      ['availability-sync', 'queued', `http://temporal-ui.test/namespaces/default/workflows/${encodeURIComponent(`stream:availability-sync:${storeId}`)}`],
      ['low-stock-replenishment', 'queued', `http://temporal-ui.test/namespaces/default/workflows/${encodeURIComponent(`stream:low-stock-replenishment:${storeId}`)}`],
    ]);

    await applyEffect(change, 'availability-sync', 180);
    const half = await loadDownstream(db(), first.adjustmentId, link);
    expect(half).toMatchObject({ status: 'waiting', effects: { queued: 1, applied: 1, slowestMs: 180 } });

    await applyEffect(change, 'low-stock-replenishment', 260);
    const done = await loadDownstream(db(), first.adjustmentId, link);
    expect(done).toMatchObject({ status: 'done', effects: { queued: 0, applied: 2, failed: 0, slowestMs: 260 } });
    expect(done.changes[0]?.subProcessors[1]).toMatchObject({ state: 'done', effect: { appliedAt: expect.any(String) as unknown, latencyMs: 260 } });

    // The second adjustment's change is its own, and still waits for low-stock-replenishment.
    const two = await loadDownstream(db(), second.adjustmentId, link);
    expect(two.changes[0]).toMatchObject({ updated: secondChange.updated, kafka: { offset: '11' }, status: 'waiting' });
    expect(two.changes[0]?.subProcessors.map((sp) => [sp.name, sp.state, sp.outcomes.map((o) => o.outcome)])).toEqual([
      ['availability-sync', 'done', ['ignored']],
      ['low-stock-replenishment', 'pending', []],
    ]);
  });

  it('fails, linking the dead letter, when a workflow gives up on the change; queued again once it is replayed, done when applied', async () => {
    const adjusted = await adjustStock(db(), { storeId, sku: skus[1]!, delta: 3, reason: 'receive' }, actor);
    const change = await recordOutcomes(adjusted.adjustmentId, 20, [
      { subProcessor: 'availability-sync', outcome: 'ignored' },
      { subProcessor: 'low-stock-replenishment', outcome: 'signalled' },
    ]);
    const id = await deadLetter(change, 'low-stock-replenishment', 'workflow');

    const failed = await loadDownstream(db(), adjusted.adjustmentId, link);
    expect(failed).toMatchObject({ status: 'failed', effects: { queued: 0, applied: 0, failed: 1 } });
    expect(failed.changes[0]?.subProcessors[1]).toMatchObject({
      state: 'failed',
      effect: { appliedAt: null },
      deadLetter: { id, url: `/dead-letters?state=all&id=${id}`, stage: 'workflow', status: 'pending', error: 'workflow gave up' },
    });

    // An engineer replays it: the workflow is signalled again.
    await db().deadLetter.update({ where: { id: BigInt(id) }, data: { status: 'replayed' } });
    await recordOutcomes(adjusted.adjustmentId, 20, [{ subProcessor: 'low-stock-replenishment', outcome: 'signalled' }]);
    expect(await loadDownstream(db(), adjusted.adjustmentId, link)).toMatchObject({ status: 'waiting', effects: { queued: 1, failed: 0 } });
    // It fails again: the same entry is reopened.
    await db().deadLetter.update({ where: { id: BigInt(id) }, data: { status: 'pending' } });
    expect(await loadDownstream(db(), adjusted.adjustmentId, link)).toMatchObject({ status: 'failed', effects: { failed: 1 } });
    // Replayed once more, and this time applied.
    await db().deadLetter.update({ where: { id: BigInt(id) }, data: { status: 'replayed' } });
    await recordOutcomes(adjusted.adjustmentId, 20, [{ subProcessor: 'low-stock-replenishment', outcome: 'signalled' }]);

    await applyEffect(change, 'low-stock-replenishment', 90_000);
    expect(await loadDownstream(db(), adjusted.adjustmentId, link)).toMatchObject({ status: 'done', effects: { applied: 1, slowestMs: 90_000 } });
  });

  it('links the dead letter of a sub-processor that failed in the processor, before any workflow', async () => {
    const adjusted = await adjustStock(db(), { storeId, sku: skus[2]!, delta: 1, reason: 'receive' }, actor);
    const change = await recordOutcomes(adjusted.adjustmentId, 30, [
      { subProcessor: 'availability-sync', outcome: 'dead_lettered' },
      { subProcessor: 'low-stock-replenishment', outcome: 'ignored' },
    ]);
    const id = await deadLetter(change, 'availability-sync', 'processor');
    const view = await loadDownstream(db(), adjusted.adjustmentId, link);
    expect(view.status).toBe('failed');
    expect(view.changes[0]?.subProcessors[0]).toMatchObject({ state: 'failed', effect: null, deadLetter: { id, stage: 'processor' } });
  });

  it('reads expired, not waiting, for a change older than the outcomes\' retention horizon with nothing recorded', async () => {
    const sku = `${skuPrefix}-OLD`;
    const oldStore = `${storeId}-OLD`;
    await db().store.create({ data: { storeId: oldStore, name: 'Downstream old store', city: 'Testville' } });
    await db().catalogItem.create({ data: { sku, name: 'Downstream old item', category: 'test', reorderPoint: 3 } });
    const adjusted = await adjustStock(db(), { storeId: oldStore, sku, delta: 4, reason: 'receive' }, actor);
    // As if written in 2011: retention (3650 days in the retention test, so the horizon is at least 2012) deleted its outcomes.
    await db().$executeRaw`UPDATE inventory_adjustments SET created_at = '2011-06-01T00:00:00Z', row_updated_at = '2011-06-01T00:00:00Z' WHERE id = ${adjusted.adjustmentId}`;
    await advanceHorizon(db(), { table: 'change_outcomes', before: '2012-01-01T00:00:00.000Z', retainDays: 3650 });
    const view = await loadDownstream(db(), adjusted.adjustmentId, link);
    expect(view.status).toBe('expired');
    expect(view.expired).toMatch(/^Trace expired: outcomes older than \d+ days are deleted/);

    // A change after the horizon with nothing recorded yet is waiting, as before.
    const fresh = await adjustStock(db(), { storeId: oldStore, sku, delta: 1, reason: 'receive' }, actor);
    expect(await loadDownstream(db(), fresh.adjustmentId, link)).toMatchObject({ status: 'waiting', expired: null });
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
