import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../auth/actor.ts';
import { db } from '../db/client.ts';
import { UnknownStockItemError } from './errors.ts';
import { NothingToRedriveError, previewRedrive, redriveRows, RedriveTooBroadError } from './redrive.ts';

const engineer: Actor = { id: 'engineer@test', role: 'engineer' };
const tag = randomUUID().slice(0, 8);
const storeId = `RD-${tag}`;
const otherStore = `RD-${tag}-other`;
// Upper- and lower-case tags keep SKUs unique per run; the % and _ SKUs show the prefix is not a LIKE pattern.
const sku = (suffix: string) => `T${tag}-${suffix}`;
const SKUS = ['A_1', 'AX1', 'A%2', 'AY%', 'B-1'].map(sku);

type Versions = Map<string, Date>;

async function versions(table: 'levels' | 'lots'): Promise<Versions> {
  const rows =
    table === 'levels'
      ? await db().inventoryLevel.findMany({ where: { storeId: { in: [storeId, otherStore] } }, select: { storeId: true, sku: true, updatedAt: true } })
      : await db().inventoryLot.findMany({ where: { storeId: { in: [storeId, otherStore] } }, select: { storeId: true, lotId: true, updatedAt: true } });
  return new Map(rows.map((row) => ['lotId' in row ? row.lotId : `${row.storeId}/${row.sku}`, row.updatedAt]));
}

/** The keys whose updated_at moved between two snapshots. */
const bumped = (before: Versions, after: Versions) =>
  [...after].filter(([key, at]) => at.getTime() > (before.get(key)?.getTime() ?? Infinity)).map(([key]) => key).sort();

const auditRows = () => db().auditLog.findMany({ where: { action: 'inventory.redrive', target: { contains: storeId } }, orderBy: { id: 'asc' } });

beforeAll(async () => {
  await db().store.createMany({ data: [storeId, otherStore].map((id) => ({ storeId: id, name: 'Re-drive test', city: 'Testville' })) });
  await db().catalogItem.createMany({ data: SKUS.map((item) => ({ sku: item, name: `Item ${item}`, category: 'test', reorderPoint: 1 })) });
  // Old versions, so any bump is visible.
  const old = new Date('2026-01-01T00:00:00Z');
  await db().inventoryLevel.createMany({
    data: [storeId, otherStore].flatMap((store) => SKUS.map((item) => ({ storeId: store, sku: item, onHand: 5, updatedAt: old }))),
  });
  await db().inventoryLot.createMany({
    data: [storeId, otherStore].flatMap((store) =>
      SKUS.slice(0, 2).map((item) => ({ lotId: `LOT-${store}-${item}`, storeId: store, sku: item, quantity: 5, expiresOn: new Date('2027-01-01'), updatedAt: old })),
    ),
  });
});

afterAll(async () => {
  await db().$disconnect();
});

describe('previewRedrive', () => {
  it('counts one store’s rows by literal SKU prefix, with lots only when asked', async () => {
    expect(await previewRedrive(db(), { storeId, skuPrefix: sku('A') })).toEqual({
      storeId,
      skuPrefix: sku('A'),
      includeLots: false,
      levels: 4,
      lots: null,
      total: 4,
      max: 5_000,
      overCap: false,
    });
    expect(await previewRedrive(db(), { storeId, skuPrefix: sku('A'), includeLots: true }, 5)).toMatchObject({ levels: 4, lots: 2, total: 6, max: 5, overCap: true });
    expect(await previewRedrive(db(), { storeId })).toMatchObject({ total: 5 });
    // Not patterns: "_" is not "any one character" and "%" is not "anything".
    expect((await previewRedrive(db(), { storeId, skuPrefix: sku('A_') })).total).toBe(1);
    expect((await previewRedrive(db(), { storeId, skuPrefix: sku('A%') })).total).toBe(1);
    expect((await previewRedrive(db(), { storeId, skuPrefix: `T${tag}-%` })).total).toBe(0);
    expect((await previewRedrive(db(), { storeId, skuPrefix: sku('a') })).total).toBe(0);
  });

  it('says an unknown store is unknown instead of counting zero rows', async () => {
    await expect(previewRedrive(db(), { storeId: `RD-${tag}-none` })).rejects.toThrow(new UnknownStockItemError(`Unknown store "RD-${tag}-none".`));
  });
});

describe('redriveRows', () => {
  it('bumps updated_at on exactly the selected rows, keeps stock, and writes one audit row', async () => {
    const [levelsBefore, lotsBefore] = [await versions('levels'), await versions('lots')];
    const result = await redriveRows(db(), { storeId, skuPrefix: sku('A'), includeLots: true, reason: 'availability fix deployed' }, engineer, { via: 'console' });
    expect(result).toMatchObject({ storeId, skuPrefix: sku('A'), includeLots: true, matched: 6, levels: 4, lots: 2, total: 6, batches: 2 });

    expect(bumped(levelsBefore, await versions('levels'))).toEqual(SKUS.slice(0, 4).map((item) => `${storeId}/${item}`).sort());
    expect(bumped(lotsBefore, await versions('lots'))).toEqual(SKUS.slice(0, 2).map((item) => `LOT-${storeId}-${item}`).sort());
    expect(await db().inventoryLevel.findMany({ where: { storeId }, select: { onHand: true } })).toEqual(SKUS.map(() => ({ onHand: 5 })));

    const audit = await auditRows();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      id: BigInt(result.auditId),
      actor: 'engineer@test',
      actorRole: 'engineer',
      target: `inventory_levels+inventory_lots:${storeId}/${sku('A')}*`,
      reason: 'availability fix deployed',
      details: {
        storeId,
        skuPrefix: sku('A'),
        includeLots: true,
        via: 'console',
        matched: 6,
        touched: { levels: 4, lots: 2, total: 6 },
        batches: 2,
        max: 5_000,
        completed: true,
      },
    });
  });

  it('works through a big selection in batches, reporting progress, with one audit row at the end', async () => {
    const before = await versions('levels');
    const auditBefore = (await auditRows()).length;
    const progress: { touched: number; total: number }[] = [];
    const result = await redriveRows(db(), { storeId, reason: 'batched' }, engineer, { via: 'cli', batchRows: 2, onProgress: (step) => progress.push(step) });
    // 2 + 2 + 1: the short third batch shows the table is done.
    expect(result).toMatchObject({ matched: 5, levels: 5, lots: 0, total: 5, batches: 3 });
    expect(progress).toEqual([
      { touched: 2, total: 5 },
      { touched: 4, total: 5 },
      { touched: 5, total: 5 },
    ]);
    expect(bumped(before, await versions('levels'))).toEqual(SKUS.map((item) => `${storeId}/${item}`).sort());
    const audit = await auditRows();
    expect(audit).toHaveLength(auditBefore + 1);
    expect(audit.at(-1)).toMatchObject({ target: `inventory_levels:${storeId}/*`, details: { via: 'cli', touched: { total: 5 }, batches: 3, completed: true } });
  });

  it('refuses a selection over the cap, or with nothing in it, and touches nothing', async () => {
    const before = await versions('levels');
    const auditBefore = (await auditRows()).length;
    const over = redriveRows(db(), { storeId, reason: 'too much' }, engineer, { via: 'console', maxRows: 4 });
    await expect(over).rejects.toBeInstanceOf(RedriveTooBroadError);
    await expect(over).rejects.toThrow('5 rows match; one re-drive takes at most 4.');
    await expect(redriveRows(db(), { storeId, skuPrefix: 'NOPE', reason: 'nothing' }, engineer, { via: 'console' })).rejects.toBeInstanceOf(NothingToRedriveError);
    expect(bumped(before, await versions('levels'))).toEqual([]);
    expect(await auditRows()).toHaveLength(auditBefore);
  });

  it('after a failing batch, still writes the audit row with how far it got, and rethrows the failure', async () => {
    const lotId = `LOT-${storeId}-${SKUS[0]}`;
    const fn = `redrive_test_fail_${tag}`;
    const trigger = `redrive_test_fail_${tag}`;
    // A real database failure on the second batch only (one lot of this test's store).
    await db().$executeRawUnsafe(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'lot is locked by the test'; END $$`);
    await db().$executeRawUnsafe(
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON inventory_lots FOR EACH ROW WHEN (OLD.lot_id = '${lotId}') EXECUTE FUNCTION ${fn}()`,
    );
    try {
      const before = await versions('levels');
      const attempt = redriveRows(db(), { storeId, skuPrefix: sku('A'), includeLots: true, reason: 'partial' }, engineer, { via: 'console' });
      await expect(attempt).rejects.toThrow('lot is locked by the test');
      // The levels batch committed before the lots batch failed.
      expect(bumped(before, await versions('levels'))).toHaveLength(4);
      const audit = await auditRows();
      expect(audit.at(-1)).toMatchObject({
        reason: 'partial',
        details: { matched: 6, touched: { levels: 4, lots: 0, total: 4 }, batches: 1, completed: false, error: expect.stringContaining('lot is locked by the test') as unknown },
      });
    } finally {
      await db().$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${trigger} ON inventory_lots`);
      await db().$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${fn}()`);
    }
  });
});
