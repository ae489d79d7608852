import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../../server/db/generated/client.ts';
import { writeOffLot } from '../../server/inventory/stock.ts';
import { availabilitySync, expiryWriteOff, lowStockReplenishment } from '../../server/stream/sub-processors/index.ts';
import {
  AVAILABILITY_SYNC_ACTIVITY,
  EXPIRY_WRITE_OFF_ACTIVITY,
  REPLENISHMENT_ACTIVITY,
} from '../../server/stream/sub-processors/index.ts';
import type { StreamMessage } from '../../server/temporal/contract.ts';
import { createInventoryStreamActivities, EXPIRY_WRITE_OFF_ACTOR, InvalidStreamMessageError } from './inventory-stream.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through \`npm test\`, which starts the services.`);
  return value;
}

const DAY_MS = 86_400_000;
const utcDay = (offsetDays: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) + offsetDays * DAY_MS);

let db: PrismaClient;
let activities: ReturnType<typeof createInventoryStreamActivities>;
/** This file's own store and SKUs, so it shares no rows with the seed or other tests. */
const run = randomUUID().slice(0, 8);
const store = `T-${run}`;
const sku = (name: string) => `T-${run}-${name}`;
let sequence = 0;
const message = <T>(payload: T): StreamMessage<T> => ({ id: `test:${run}:${++sequence}`, payload });
const key = (name: string) => message({ storeId: store, sku: sku(name) });
const testRun = { workflowId: `stream:test:${run}`, runId: 'run-1' };

async function item(name: string, reorderPoint = 5): Promise<string> {
  await db.catalogItem.create({ data: { sku: sku(name), name: `test ${name}`, category: 'test', reorderPoint } });
  return sku(name);
}

async function stock(name: string, onHand: number, reorderPoint = 5): Promise<string> {
  const created = await item(name, reorderPoint);
  await db.inventoryLevel.create({ data: { storeId: store, sku: created, onHand } });
  return created;
}

beforeAll(async () => {
  db = new PrismaClient({ adapter: new PrismaPg({ connectionString: required('DATABASE_URL') }) });
  activities = createInventoryStreamActivities({ db, currentRun: () => testRun });
  await db.store.create({ data: { storeId: store, name: 'stream activities test', city: 'Testville' } });
});

afterAll(async () => {
  if (!db) return;
  const mine = { storeId: store };
  await db.catalogAvailability.deleteMany({ where: mine });
  await db.replenishmentSuggestion.deleteMany({ where: mine });
  await db.expiryWriteOff.deleteMany({ where: mine });
  await db.inventoryLot.deleteMany({ where: mine });
  await db.inventoryLevel.deleteMany({ where: mine });
  await db.catalogItem.deleteMany({ where: { sku: { startsWith: `T-${run}-` } } });
  await db.store.delete({ where: { storeId: store } });
  await db.$disconnect();
});

it('the sub-processors name activities the worker registers', () => {
  const registered = Object.keys(activities);
  expect(registered).toEqual(expect.arrayContaining([AVAILABILITY_SYNC_ACTIVITY, REPLENISHMENT_ACTIVITY, EXPIRY_WRITE_OFF_ACTIVITY]));
  expect([availabilitySync.name, lowStockReplenishment.name, expiryWriteOff.name]).toEqual(['availability-sync', 'low-stock-replenishment', 'expiry-write-off']);
});

describe('syncAvailability', () => {
  it('sets availability from on-hand, creating rows and moving updated_at only when the flag flips', async () => {
    const old = new Date('2026-01-01T00:00:00Z');
    const fresh = await stock('fresh', 5);
    const soldOut = await stock('sold-out', 0);
    const steady = await stock('steady', 3);
    const neverStocked = await item('never-stocked');
    await db.catalogAvailability.createMany({
      data: [
        { storeId: store, sku: soldOut, available: true, updatedAt: old },
        { storeId: store, sku: steady, available: true, updatedAt: old },
      ],
    });

    const result = await activities.syncAvailability([
      key('fresh'),
      key('sold-out'),
      key('steady'),
      key('never-stocked'),
      key('fresh'),
      key('no-such-sku'),
    ]);
    expect(result).toEqual({ messages: 6, keys: 5, madeAvailable: 1, madeUnavailable: 2, unknown: 1 });

    const rows = await db.catalogAvailability.findMany({ where: { storeId: store }, orderBy: { sku: 'asc' } });
    const bySku = new Map(rows.map((row) => [row.sku, row]));
    expect(bySku.get(fresh)?.available).toBe(true);
    expect(bySku.get(soldOut)?.available).toBe(false);
    expect(bySku.get(soldOut)?.updatedAt.getTime()).toBeGreaterThan(old.getTime());
    expect(bySku.get(steady)).toMatchObject({ available: true, updatedAt: old });
    expect(bySku.get(neverStocked)?.available).toBe(false);
    expect(bySku.has(sku('no-such-sku'))).toBe(false);

    // The source of truth has not moved: running the same batch again (a redelivery) changes nothing.
    const again = await activities.syncAvailability([key('fresh'), key('sold-out'), key('steady'), key('never-stocked')]);
    expect(again).toMatchObject({ madeAvailable: 0, madeUnavailable: 0 });
    const after = await db.catalogAvailability.findMany({ where: { storeId: store }, orderBy: { sku: 'asc' } });
    expect(after).toEqual(rows);
  });

  it('follows the level as it is now, whatever order the messages come in', async () => {
    const name = 'reordered';
    const id = await stock(name, 0);
    await activities.syncAvailability([key(name)]);
    await db.inventoryLevel.update({ where: { storeId_sku: { storeId: store, sku: id } }, data: { onHand: 9 } });
    // Two stale signals for the same SKU, then the newest: each reads today's on-hand.
    await activities.syncAvailability([key(name), key(name)]);
    expect((await db.catalogAvailability.findUnique({ where: { storeId_sku: { storeId: store, sku: id } } }))?.available).toBe(true);
  });

  it('claims each message in the effect ledger with its effect, and applies a message id once', async () => {
    const name = 'ledger';
    const id = await stock(name, 0);
    const sold = key(name);
    await activities.syncAvailability([sold]);
    const claimed = await db.streamApplied.findUniqueOrThrow({ where: { subProcessor_messageId: { subProcessor: 'availability-sync', messageId: sold.id } } });
    expect(claimed).toMatchObject({ workflowId: testRun.workflowId, runId: testRun.runId });
    expect((await db.catalogAvailability.findUniqueOrThrow({ where: { storeId_sku: { storeId: store, sku: id } } })).available).toBe(false);

    // The same message again (a retried activity, or a re-signal) is not applied again: the flip waits for a new message.
    await db.inventoryLevel.update({ where: { storeId_sku: { storeId: store, sku: id } }, data: { onHand: 4 } });
    await expect(activities.syncAvailability([sold])).resolves.toMatchObject({ madeAvailable: 0 });
    expect((await db.catalogAvailability.findUniqueOrThrow({ where: { storeId_sku: { storeId: store, sku: id } } })).available).toBe(false);
    await expect(activities.syncAvailability([key(name)])).resolves.toMatchObject({ madeAvailable: 1 });
    expect(await db.streamApplied.count({ where: { subProcessor: 'availability-sync', messageId: sold.id } })).toBe(1);
  });

  it('rejects a malformed payload as a non-retryable error, naming the message', async () => {
    const bad = { id: `test:${run}:bad`, payload: { storeId: store } } as unknown as StreamMessage<{ storeId: string; sku: string }>;
    const error = await activities.syncAvailability([key('fresh'), bad]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidStreamMessageError);
    expect((error as Error).message).toContain(`test:${run}:bad`);
  });
});

describe('suggestReplenishment', () => {
  const suggestion = (id: string) => db.replenishmentSuggestion.findUnique({ where: { storeId_sku: { storeId: store, sku: id } } });
  const setOnHand = (id: string, onHand: number) => db.inventoryLevel.update({ where: { storeId_sku: { storeId: store, sku: id } }, data: { onHand } });

  it('opens a suggestion at or below the reorder point and leaves stock above it alone', async () => {
    const low = await stock('low', 2, 5);
    const atPoint = await stock('at-point', 5, 5);
    const empty = await stock('empty', 0, 0);
    const plenty = await stock('plenty', 9, 5);

    const result = await activities.suggestReplenishment([key('low'), key('at-point'), key('empty'), key('plenty'), key('low')]);
    expect(result).toEqual({ messages: 5, keys: 4, opened: 3, refreshed: 0, closed: 0 });
    expect(await suggestion(low)).toMatchObject({ status: 'open', onHand: 2, reorderPoint: 5, suggestedQuantity: 8, closedAt: null });
    expect(await suggestion(atPoint)).toMatchObject({ status: 'open', suggestedQuantity: 5 });
    expect(await suggestion(empty)).toMatchObject({ status: 'open', suggestedQuantity: 1 });
    expect(await suggestion(plenty)).toBeNull();
  });

  it('refreshes an open suggestion as on-hand moves, closes it on restock and reopens it when stock falls again', async () => {
    const id = await stock('cycle', 1, 4);
    await activities.suggestReplenishment([key('cycle')]);
    const opened = await suggestion(id);
    expect(opened).toMatchObject({ status: 'open', onHand: 1, suggestedQuantity: 7 });

    expect(await activities.suggestReplenishment([key('cycle')])).toMatchObject({ opened: 0, refreshed: 0, closed: 0 });
    expect(await suggestion(id)).toEqual(opened);

    await setOnHand(id, 3);
    expect(await activities.suggestReplenishment([key('cycle')])).toMatchObject({ opened: 0, refreshed: 1 });
    const refreshed = await suggestion(id);
    expect(refreshed).toMatchObject({ status: 'open', onHand: 3, suggestedQuantity: 5, openedAt: opened!.openedAt });
    expect(refreshed!.updatedAt.getTime()).toBeGreaterThan(opened!.updatedAt.getTime());

    await setOnHand(id, 20);
    expect(await activities.suggestReplenishment([key('cycle')])).toMatchObject({ closed: 1 });
    const closed = await suggestion(id);
    expect(closed).toMatchObject({ status: 'closed', onHand: 20 });
    expect(closed?.closedAt).toBeInstanceOf(Date);
    expect(await activities.suggestReplenishment([key('cycle')])).toMatchObject({ opened: 0, refreshed: 0, closed: 0 });

    await setOnHand(id, 0);
    expect(await activities.suggestReplenishment([key('cycle')])).toMatchObject({ opened: 1 });
    const reopened = await suggestion(id);
    expect(reopened).toMatchObject({ status: 'open', onHand: 0, suggestedQuantity: 8, closedAt: null });
    expect(reopened!.openedAt.getTime()).toBeGreaterThan(opened!.openedAt.getTime());
  });

  it('closes an open suggestion when the level row is gone', async () => {
    const id = await stock('gone', 1, 4);
    await activities.suggestReplenishment([key('gone')]);
    await db.inventoryLevel.delete({ where: { storeId_sku: { storeId: store, sku: id } } });
    expect(await activities.suggestReplenishment([key('gone')])).toMatchObject({ closed: 1 });
    expect(await suggestion(id)).toMatchObject({ status: 'closed', onHand: 1 });
  });
});

describe('writeOffExpiredLots', () => {
  async function lotOf(name: string, quantity: number, expiresOn: Date): Promise<string> {
    const lotId = `LOT-${run}-${name}`;
    await db.inventoryLot.create({ data: { lotId, storeId: store, sku: sku('lots'), quantity, expiresOn } });
    return lotId;
  }
  const lotMessage = (lotId: string) => message({ lotId });
  const levelOnHand = async () => (await db.inventoryLevel.findUniqueOrThrow({ where: { storeId_sku: { storeId: store, sku: sku('lots') } } })).onHand;

  beforeAll(async () => {
    await stock('lots', 20, 5);
  });

  it('writes off expired lots through the inventory write path, once, and skips the rest', async () => {
    const expired = await lotOf('expired', 4, utcDay(-1));
    const expiresToday = await lotOf('today', 3, utcDay(0));
    const emptyExpired = await lotOf('empty-expired', 0, utcDay(-3));

    const result = await activities.writeOffExpiredLots([
      lotMessage(expired),
      lotMessage(expiresToday),
      lotMessage(emptyExpired),
      lotMessage(`LOT-${run}-missing`),
      lotMessage(expired),
    ]);
    expect(result).toEqual({ messages: 5, lots: 4, writtenOff: 1, units: 4, skipped: 2, missing: 1 });

    expect((await db.inventoryLot.findUniqueOrThrow({ where: { lotId: expired } })).quantity).toBe(0);
    expect((await db.inventoryLot.findUniqueOrThrow({ where: { lotId: expiresToday } })).quantity).toBe(3);
    expect(await levelOnHand()).toBe(16);
    const record = await db.expiryWriteOff.findUniqueOrThrow({ where: { lotId: expired } });
    expect(record).toMatchObject({ storeId: store, sku: sku('lots'), quantity: 4, expiresOn: utcDay(-1) });
    const ledger = await db.inventoryAdjustment.findMany({ where: { lotId: expired } });
    expect(ledger).toEqual([expect.objectContaining({ delta: -4, reason: 'expire', actor: EXPIRY_WRITE_OFF_ACTOR.id, onHandAfter: 16 })]);
    expect(await db.expiryWriteOff.count({ where: { lotId: { in: [expiresToday, emptyExpired] } } })).toBe(0);

    // A redelivered batch finds nothing left to do.
    expect(await activities.writeOffExpiredLots([lotMessage(expired)])).toMatchObject({ writtenOff: 0, skipped: 1 });
    expect(await levelOnHand()).toBe(16);
    expect(await db.expiryWriteOff.findUniqueOrThrow({ where: { lotId: expired } })).toEqual(record);
    expect(await db.inventoryAdjustment.count({ where: { lotId: expired } })).toBe(1);
  });

  it('judges expiry by the injected clock', async () => {
    const lotId = await lotOf('tomorrow', 2, utcDay(1));
    expect(await activities.writeOffExpiredLots([lotMessage(lotId)])).toMatchObject({ writtenOff: 0, skipped: 1 });
    const dayAfter = createInventoryStreamActivities({ db, now: () => utcDay(2), currentRun: () => testRun });
    expect(await dayAfter.writeOffExpiredLots([lotMessage(lotId)])).toMatchObject({ writtenOff: 1, units: 2 });
  });

  it('records a write-off whose attempt died between the stock write and its record', async () => {
    const lotId = await lotOf('interrupted', 5, utcDay(-2));
    await writeOffLot(db, { lotId, reason: 'expire' }, EXPIRY_WRITE_OFF_ACTOR);
    expect(await activities.writeOffExpiredLots([lotMessage(lotId)])).toMatchObject({ writtenOff: 0, skipped: 1 });
    expect(await db.expiryWriteOff.findUnique({ where: { lotId } })).toMatchObject({ quantity: 5, storeId: store });
  });

  it('leaves alone a lot someone else wrote off (damage)', async () => {
    const lotId = await lotOf('damaged', 3, utcDay(-2));
    await writeOffLot(db, { lotId, reason: 'damage' }, { id: 'associate-1', role: 'associate' });
    expect(await activities.writeOffExpiredLots([lotMessage(lotId)])).toMatchObject({ writtenOff: 0, skipped: 1 });
    expect(await db.expiryWriteOff.findUnique({ where: { lotId } })).toBeNull();
  });
});
