import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { db } from '../db/client.ts';
import { InsufficientStockError, UnknownStockItemError } from './errors.ts';
import { adjustStock, receiveLot, writeOffLot } from './stock.ts';
import { touchRows, TouchTooBroadError } from './touch.ts';

const actor: Actor = { id: 'associate@test', role: 'associate' };
const storeId = `T-${randomUUID().slice(0, 8)}`;
const sku = `SKU-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  await db().store.create({ data: { storeId, name: 'Test store', city: 'Testville' } });
  await db().catalogItem.create({ data: { sku, name: 'Test item', category: 'test', reorderPoint: 3 } });
});
afterAll(async () => {
  await db().$disconnect();
});

const level = () => db().inventoryLevel.findUnique({ where: { storeId_sku: { storeId, sku } } });

describe('adjustStock', () => {
  it('creates the level on first receipt, then adjusts it, writing ledger, audit and a newer updated_at', async () => {
    const first = await adjustStock(db(), { storeId, sku, delta: 10, reason: 'receive' }, actor);
    expect(first.onHand).toBe(10);
    const second = await adjustStock(db(), { storeId, sku, delta: -3, reason: 'sale', note: 'walk-in' }, actor);
    expect(second.onHand).toBe(7);
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect((await level())?.onHand).toBe(7);

    const ledger = await db().inventoryAdjustment.findMany({ where: { storeId, sku }, orderBy: { id: 'asc' } });
    expect(ledger.map((row) => [row.delta, row.reason, row.onHandAfter])).toEqual([
      [10, 'receive', 10],
      [-3, 'sale', 7],
    ]);
    const audit = await db().auditLog.findFirst({ where: { target: `inventory_levels:${storeId}/${sku}`, reason: 'walk-in' } });
    expect(audit).toMatchObject({ actor: 'associate@test', actorRole: 'associate', action: 'inventory.adjust' });
  });

  it('rejects a change that would make on-hand negative, and writes nothing', async () => {
    const before = await level();
    const ledgerBefore = await db().inventoryAdjustment.count({ where: { storeId, sku } });
    const attempt = adjustStock(db(), { storeId, sku, delta: -1000, reason: 'damage' }, actor);
    await expect(attempt).rejects.toBeInstanceOf(InsufficientStockError);
    await expect(attempt).rejects.toThrow(`Cannot remove 1000 of ${sku} at ${storeId}: only ${before?.onHand} on hand.`);
    expect(await level()).toEqual(before);
    expect(await db().inventoryAdjustment.count({ where: { storeId, sku } })).toBe(ledgerBefore);
  });

  it('validates input with clear messages', async () => {
    const issues = async (attempt: Promise<unknown>) => {
      const error = await attempt.then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(ZodError);
      return (error as ZodError).issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    expect(await issues(adjustStock(db(), { storeId, sku, delta: 5, reason: 'sale' }, actor))).toEqual([
      'delta: "sale" can only remove stock',
    ]);
    expect(await issues(adjustStock(db(), { storeId, sku, delta: 0, reason: 'cycle_count' }, actor))).toEqual([
      'delta: quantity must not be zero',
    ]);
    expect(await issues(adjustStock(db(), { storeId, sku, delta: 1.5, reason: 'cycle_count' }, actor))).toEqual([
      'delta: quantity must be a whole number',
    ]);
    expect(await issues(adjustStock(db(), { storeId, sku, delta: 1, reason: 'stolen' as 'sale' }, actor))).toEqual([
      'reason: reason must be one of: receive, damage, expire, vendor_mismatch, cycle_count, sale',
    ]);
    // A NUL reached Postgres and answered 500 (text cannot hold it); now the schema refuses it by name.
    expect(await issues(adjustStock(db(), { storeId, sku: `${sku}\u0000`, delta: 1, reason: 'receive', note: 'a\u0007b' }, actor))).toEqual([
      'sku: SKU must not contain control characters (such as NUL)',
      'note: note must not contain control characters (such as NUL)',
    ]);
    await expect(adjustStock(db(), { storeId: 'NOPE', sku, delta: 1, reason: 'receive' }, actor)).rejects.toThrow(
      new UnknownStockItemError('Unknown store "NOPE".'),
    );
  });

  it('serialises concurrent removals so stock never goes below zero', async () => {
    const start = (await level())?.onHand ?? 0;
    const results = await Promise.allSettled(
      Array.from({ length: start + 4 }, () => adjustStock(db(), { storeId, sku, delta: -1, reason: 'sale' }, actor)),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(start);
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(rejected).toHaveLength(4);
    for (const result of rejected) expect(result.reason).toBeInstanceOf(InsufficientStockError);
    expect((await level())?.onHand).toBe(0);
  });

  it('creates a first stock row once under concurrent first receipts, and refuses a removal where there is none', async () => {
    const fresh = `SKU-${randomUUID().slice(0, 8)}`;
    await db().catalogItem.create({ data: { sku: fresh, name: 'Fresh item', category: 'test', reorderPoint: 1 } });
    const removal = adjustStock(db(), { storeId, sku: fresh, delta: -1, reason: 'sale' }, actor);
    await expect(removal).rejects.toThrow(new InsufficientStockError(`Cannot remove 1 of ${fresh} at ${storeId}: only 0 on hand.`, 0, 1));
    expect(await db().inventoryLevel.count({ where: { storeId, sku: fresh } })).toBe(0);

    const results = await Promise.all(Array.from({ length: 8 }, () => adjustStock(db(), { storeId, sku: fresh, delta: 2, reason: 'receive' }, actor)));
    expect(results.map((result) => result.onHand).sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(await db().inventoryLevel.findUnique({ where: { storeId_sku: { storeId, sku: fresh } } })).toMatchObject({ onHand: 16 });
    const ledger = await db().inventoryAdjustment.findMany({ where: { storeId, sku: fresh }, orderBy: { id: 'asc' } });
    expect(ledger.map((row) => row.onHandAfter)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    // The ledger keeps the row version at full precision, and the audit row names the adjustment with before/after.
    const last = ledger.at(-1)!;
    const [version] = await db().$queryRaw<{ same: boolean }[]>`
      SELECT a.row_updated_at = l.updated_at AS same FROM inventory_adjustments a, inventory_levels l
      WHERE a.id = ${last.id} AND l.store_id = ${storeId} AND l.sku = ${fresh}`;
    expect(version?.same).toBe(true);
    const audit = await db().auditLog.findFirst({ where: { target: `inventory_levels:${storeId}/${fresh}` }, orderBy: { id: 'desc' } });
    expect(audit).toMatchObject({ action: 'inventory.adjust', reason: 'receive', details: { reason: 'receive', delta: 2, onHandBefore: 14, onHandAfter: 16, adjustmentId: last.id.toString() } });

    await expect(adjustStock(db(), { storeId, sku: 'SKU-NOPE', delta: 1, reason: 'receive' }, actor)).rejects.toThrow(
      new UnknownStockItemError('Unknown SKU "SKU-NOPE".'),
    );
  });
});

describe('lots', () => {
  it('receives a lot into on-hand and writes it off once, idempotently', async () => {
    const before = (await level())?.onHand ?? 0;
    const received = await receiveLot(db(), { storeId, sku, quantity: 6, expiresOn: '2026-01-31' }, actor);
    expect(received.onHand).toBe(before + 6);

    const first = await writeOffLot(db(), { lotId: received.lotId, reason: 'expire' }, { id: 'system:test', role: 'system' });
    expect(first).toEqual({ writtenOff: 6, onHand: before });
    const again = await writeOffLot(db(), { lotId: received.lotId, reason: 'expire' }, { id: 'system:test', role: 'system' });
    expect(again).toEqual({ writtenOff: 0, onHand: before });
    expect(await db().inventoryLot.findUnique({ where: { lotId: received.lotId } })).toMatchObject({ quantity: 0 });
    await expect(writeOffLot(db(), { lotId: 'LOT-NONE', reason: 'damage' }, actor)).rejects.toBeInstanceOf(UnknownStockItemError);
  });
});

describe('touchRows', () => {
  it('bumps updated_at of the chosen rows only, and refuses to touch a whole table', async () => {
    const before = await level();
    const touched = await touchRows(db(), { table: 'inventory_levels', storeId, skus: [sku] }, actor, 're-drive after fix');
    expect(touched).toBe(1);
    const after = await level();
    expect(after?.onHand).toBe(before?.onHand);
    expect(after?.updatedAt.getTime()).toBeGreaterThan(before?.updatedAt.getTime() ?? 0);
    await expect(touchRows(db(), { table: 'inventory_lots' }, actor, 'everything')).rejects.toBeInstanceOf(TouchTooBroadError);
  });
});
