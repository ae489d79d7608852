import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { AdjustmentReason, type Prisma, type PrismaClient } from '../db/generated/client.ts';
import { freeText, identifierText } from '../http/text-rules.ts';
import { InsufficientStockError, UnknownStockItemError } from './errors.ts';

/**
 * The single write path for inventory_levels and inventory_lots. Every write locks the row, checks that
 * stock stays non-negative, bumps updated_at (which is what the change stream keys on), and records the
 * stock ledger and the audit log in the same transaction.
 */

export const ADJUSTMENT_REASONS = Object.values(AdjustmentReason);

/** Reasons that can only add stock, and reasons that can only remove it; the rest go either way. */
const ADDS_ONLY = new Set<AdjustmentReason>(['receive']);
const REMOVES_ONLY = new Set<AdjustmentReason>(['damage', 'expire', 'sale']);

const storeId = identifierText('store', 64);
const sku = identifierText('SKU', 64);
const note = freeText('note', 500).optional();

export const stockAdjustmentSchema = z
  .object({
    storeId,
    sku,
    delta: z
      .number({ error: 'quantity must be a number' })
      .int('quantity must be a whole number')
      .min(-100_000, 'quantity is implausibly large')
      .max(100_000, 'quantity is implausibly large')
      .refine((value) => value !== 0, 'quantity must not be zero'),
    reason: z.enum(AdjustmentReason, { error: `reason must be one of: ${ADJUSTMENT_REASONS.join(', ')}` }),
    note,
  })
  .superRefine((input, ctx) => {
    if (ADDS_ONLY.has(input.reason) && input.delta < 0) {
      ctx.addIssue({ code: 'custom', path: ['delta'], message: `"${input.reason}" can only add stock` });
    }
    if (REMOVES_ONLY.has(input.reason) && input.delta > 0) {
      ctx.addIssue({ code: 'custom', path: ['delta'], message: `"${input.reason}" can only remove stock` });
    }
  });
export type StockAdjustment = z.input<typeof stockAdjustmentSchema>;

export const receiveLotSchema = z.object({
  storeId,
  sku,
  lotId: identifierText('lot id', 80).optional(),
  quantity: z.number().int('quantity must be a whole number').positive('quantity must be positive').max(100_000),
  expiresOn: z.iso.date('expiry must be a date (YYYY-MM-DD)'),
  note,
});
export type ReceiveLot = z.input<typeof receiveLotSchema>;

export const writeOffLotSchema = z.object({
  lotId: identifierText('lot id', 120),
  reason: z.enum(['expire', 'damage'], { error: 'reason must be expire or damage' }),
  note,
});
export type WriteOffLot = z.input<typeof writeOffLotSchema>;

export interface StockLevel {
  storeId: string;
  sku: string;
  onHand: number;
  updatedAt: Date;
  adjustmentId: bigint;
}

type Tx = Prisma.TransactionClient;

async function lockLevel(tx: Tx, store: string, item: string): Promise<number | undefined> {
  const rows = await tx.$queryRaw<{ on_hand: number }[]>`
    SELECT on_hand FROM inventory_levels WHERE store_id = ${store} AND sku = ${item} FOR UPDATE`;
  return rows[0]?.on_hand;
}

async function assertKnown(tx: Tx, store: string, item: string): Promise<void> {
  const [storeRow, itemRow] = await Promise.all([
    tx.store.findUnique({ where: { storeId: store }, select: { storeId: true } }),
    tx.catalogItem.findUnique({ where: { sku: item }, select: { sku: true } }),
  ]);
  if (!storeRow) throw new UnknownStockItemError(`Unknown store "${store}".`);
  if (!itemRow) throw new UnknownStockItemError(`Unknown SKU "${item}".`);
}

/** Sets on_hand and bumps updated_at to the statement's wall clock, creating the row on first stock. */
async function writeLevel(tx: Tx, store: string, item: string, onHand: number, existed: boolean): Promise<Date> {
  const rows = existed
    ? await tx.$queryRaw<{ updated_at: Date }[]>`
        UPDATE inventory_levels SET on_hand = ${onHand}, updated_at = clock_timestamp()
        WHERE store_id = ${store} AND sku = ${item} RETURNING updated_at`
    : await tx.$queryRaw<{ updated_at: Date }[]>`
        INSERT INTO inventory_levels (store_id, sku, on_hand, updated_at)
        VALUES (${store}, ${item}, ${onHand}, clock_timestamp()) RETURNING updated_at`;
  const updatedAt = rows[0]?.updated_at;
  if (!updatedAt) throw new Error(`inventory_levels write for ${store}/${item} returned no row`);
  return updatedAt;
}

async function record(
  tx: Tx,
  actor: Actor,
  entry: { storeId: string; sku: string; lotId?: string; delta: number; reason: AdjustmentReason; note?: string; onHandBefore: number; onHandAfter: number },
  action: string,
): Promise<bigint> {
  const adjustment = await tx.inventoryAdjustment.create({
    data: {
      storeId: entry.storeId,
      sku: entry.sku,
      lotId: entry.lotId,
      delta: entry.delta,
      reason: entry.reason,
      note: entry.note,
      actor: actor.id,
      onHandAfter: entry.onHandAfter,
    },
    select: { id: true },
  });
  // The row version at full precision (a JS Date would cut it to ms): the console matches the change by it.
  await tx.$executeRaw`
    UPDATE inventory_adjustments a SET row_updated_at = l.updated_at
    FROM inventory_levels l
    WHERE a.id = ${adjustment.id} AND l.store_id = ${entry.storeId} AND l.sku = ${entry.sku}`;
  await tx.auditLog.create({
    data: {
      actor: actor.id,
      actorRole: actor.role,
      action,
      target: entry.lotId ? `inventory_lots:${entry.lotId}` : `inventory_levels:${entry.storeId}/${entry.sku}`,
      reason: entry.note ?? entry.reason,
      details: {
        reason: entry.reason,
        delta: entry.delta,
        onHandBefore: entry.onHandBefore,
        onHandAfter: entry.onHandAfter,
        adjustmentId: adjustment.id.toString(),
      },
    },
  });
  return adjustment.id;
}

/** Why an adjustment statement wrote nothing: an unknown store or SKU, too little stock, or (a race) none of those. */
async function refusal(db: PrismaClient, store: string, item: string, delta: number): Promise<Error | undefined> {
  const [state] = await db.$queryRaw<{ on_hand: number | null; store_known: boolean; sku_known: boolean }[]>`
    SELECT (SELECT on_hand FROM inventory_levels WHERE store_id = ${store} AND sku = ${item}) AS on_hand,
           EXISTS (SELECT 1 FROM stores WHERE store_id = ${store}) AS store_known,
           EXISTS (SELECT 1 FROM catalog_items WHERE sku = ${item}) AS sku_known`;
  if (!state?.store_known) return new UnknownStockItemError(`Unknown store "${store}".`);
  if (!state.sku_known) return new UnknownStockItemError(`Unknown SKU "${item}".`);
  const before = state.on_hand ?? 0;
  if (before + delta < 0) return new InsufficientStockError(`Cannot remove ${-delta} of ${item} at ${store}: only ${before} on hand.`, before, -delta);
  return undefined;
}

/**
 * Adjusts on-hand stock of a store × SKU by `delta` for a reason. Rejects a change that would go negative.
 *
 * One statement, not an interactive transaction: a statement is atomic on its own, and this is the stream's busiest
 * producer (the transaction's seven round trips cost ~1.9 ms of client CPU per change). `ON CONFLICT … DO UPDATE`
 * locks the row and re-checks the stock condition on its latest version, as the `SELECT … FOR UPDATE` did.
 */
export async function adjustStock(db: PrismaClient, input: StockAdjustment, actor: Actor): Promise<StockLevel> {
  const { storeId: store, sku: item, delta, reason, note } = stockAdjustmentSchema.parse(input);
  const target = `inventory_levels:${store}/${item}`;
  for (let attempt = 1; ; attempt++) {
    const [written] = await db.$queryRaw<{ on_hand: number; updated_at: Date; adjustment_id: bigint }[]>`
      WITH known AS (
        SELECT s.store_id, c.sku FROM stores s, catalog_items c WHERE s.store_id = ${store} AND c.sku = ${item}
      ), level AS (
        INSERT INTO inventory_levels AS l (store_id, sku, on_hand, updated_at)
        SELECT store_id, sku, ${delta}::int, clock_timestamp() FROM known
        -- a first stock row is created only by an addition; an existing row takes the conflict path below
        WHERE ${delta}::int >= 0 OR EXISTS (SELECT 1 FROM inventory_levels WHERE store_id = ${store} AND sku = ${item})
        ON CONFLICT (store_id, sku) DO UPDATE SET on_hand = l.on_hand + EXCLUDED.on_hand, updated_at = clock_timestamp()
        WHERE l.on_hand + EXCLUDED.on_hand >= 0
        RETURNING l.on_hand, l.updated_at
      ), adjustment AS (
        -- row_updated_at at full precision (a JS Date would cut it to ms): the console matches the change by it
        INSERT INTO inventory_adjustments (store_id, sku, delta, reason, note, actor, on_hand_after, row_updated_at)
        SELECT ${store}, ${item}, ${delta}::int, ${reason}::"AdjustmentReason", ${note ?? null}, ${actor.id}, on_hand, updated_at
        FROM level
        RETURNING id, on_hand_after, row_updated_at
      ), audit AS (
        INSERT INTO audit_log (actor, actor_role, action, target, reason, details)
        SELECT ${actor.id}, ${actor.role}, 'inventory.adjust', ${target}, ${note ?? reason},
               jsonb_build_object('reason', ${reason}::text, 'delta', ${delta}::int, 'onHandBefore', on_hand_after - ${delta}::int,
                                  'onHandAfter', on_hand_after, 'adjustmentId', id::text)
        FROM adjustment
      )
      SELECT on_hand_after AS on_hand, row_updated_at AS updated_at, id AS adjustment_id FROM adjustment`;
    if (written) return { storeId: store, sku: item, onHand: written.on_hand, updatedAt: written.updated_at, adjustmentId: written.adjustment_id };
    const refused = await refusal(db, store, item, delta);
    if (refused) throw refused;
    // Only a race gets here: a first stock row inserted by another writer after this statement's snapshot.
    if (attempt >= 3) throw new Error(`inventory_levels write for ${store}/${item} wrote nothing in ${attempt} attempts`);
  }
}

/** Receives a lot: creates it with its expiry and adds its quantity to on-hand. */
export async function receiveLot(
  db: PrismaClient,
  input: ReceiveLot,
  actor: Actor,
): Promise<StockLevel & { lotId: string }> {
  const { storeId: store, sku: item, quantity, expiresOn, note, lotId: requestedId } = receiveLotSchema.parse(input);
  const lotId = requestedId ?? `LOT-${store}-${item}-${randomUUID().slice(0, 8)}`;
  return db.$transaction(async (tx) => {
    const current = await lockLevel(tx, store, item);
    if (current === undefined) await assertKnown(tx, store, item);
    const before = current ?? 0;
    const after = before + quantity;
    await tx.$executeRaw`
      INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on, received_at, updated_at)
      VALUES (${lotId}, ${store}, ${item}, ${quantity}, ${expiresOn}::date, clock_timestamp(), clock_timestamp())`;
    const updatedAt = await writeLevel(tx, store, item, after, current !== undefined);
    const adjustmentId = await record(
      tx,
      actor,
      { storeId: store, sku: item, lotId, delta: quantity, reason: 'receive', note, onHandBefore: before, onHandAfter: after },
      'inventory.receive_lot',
    );
    return { storeId: store, sku: item, onHand: after, updatedAt, adjustmentId, lotId };
  });
}

/**
 * Writes a whole lot off (expired or damaged): its quantity goes to 0 and on-hand drops by the same amount.
 * A lot already at 0 is left alone, which makes repeated write-offs harmless.
 */
export async function writeOffLot(
  db: PrismaClient,
  input: WriteOffLot,
  actor: Actor,
): Promise<{ writtenOff: number; onHand: number }> {
  return db.$transaction((tx) => writeOffLotIn(tx, input, actor));
}

/** writeOffLot inside the caller's transaction, so a stream activity can record its effect ledger with it. */
export async function writeOffLotIn(tx: Tx, input: WriteOffLot, actor: Actor): Promise<{ writtenOff: number; onHand: number }> {
  const { lotId, reason, note } = writeOffLotSchema.parse(input);
  const lots = await tx.$queryRaw<{ store_id: string; sku: string; quantity: number }[]>`
    SELECT store_id, sku, quantity FROM inventory_lots WHERE lot_id = ${lotId} FOR UPDATE`;
  const lot = lots[0];
  if (!lot) throw new UnknownStockItemError(`Unknown lot "${lotId}".`);
  const before = (await lockLevel(tx, lot.store_id, lot.sku)) ?? 0;
  if (lot.quantity === 0) return { writtenOff: 0, onHand: before };

  // On-hand can trail the lots (a sale is not attributed to a lot): never take it below zero.
  const removed = Math.min(lot.quantity, before);
  const after = before - removed;
  await tx.$executeRaw`
    UPDATE inventory_lots SET quantity = 0, updated_at = clock_timestamp() WHERE lot_id = ${lotId}`;
  await writeLevel(tx, lot.store_id, lot.sku, after, true);
  await record(
    tx,
    actor,
    { storeId: lot.store_id, sku: lot.sku, lotId, delta: -removed, reason, note, onHandBefore: before, onHandAfter: after },
    'inventory.write_off_lot',
  );
  return { writtenOff: lot.quantity, onHand: after };
}
