import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { Actor } from '../../server/auth/actor.ts';
import { Prisma, type PrismaClient } from '../../server/db/generated/client.ts';
import { sqlRows, type SqlClient } from '../../server/db/sql.ts';
import { UnknownStockItemError } from '../../server/inventory/errors.ts';
import { writeOffLotIn } from '../../server/inventory/stock.ts';
import { claimMessages, claimSql, type StreamRun } from '../../server/stream/effect-ledger.ts';
import { AVAILABILITY_SYNC, EXPIRY_WRITE_OFF, LOW_STOCK_REPLENISHMENT, type ExpiredLotPayload, type StockKeyPayload } from '../../server/stream/sub-processors/index.ts';
import { AVAILABILITY_SYNC_ACTIVITY } from '../../server/stream/sub-processors/availability-sync.ts';
import { EXPIRY_WRITE_OFF_ACTIVITY } from '../../server/stream/sub-processors/expiry-write-off.ts';
import { REPLENISHMENT_ACTIVITY } from '../../server/stream/sub-processors/low-stock-replenishment.ts';
import type { StreamMessage } from '../../server/temporal/contract.ts';

/**
 * The batch activities the stream-processing workflows run. Each claims its messages in the effect ledger
 * (`stream_applied`) and applies the newly claimed ones in the same transaction, so a message is applied once and
 * its "applied" row exists exactly when its effect does. The effects re-read the source of truth rather than
 * trusting the message, so a stale or reordered message does no harm.
 */

export interface InventoryStreamDeps {
  db: PrismaClient;
  /** Where the hot one-statement batches run: a `pg` pool in the worker (see server/db/pg-pool.ts); `db` if absent. */
  sql?: SqlClient;
  /** Injected in tests; decides what "expired" means today. */
  now?: () => Date;
  /** The workflow run the activity serves; the activity's own context by default. */
  currentRun?: () => StreamRun;
}

/** The workflow run of the executing activity. */
export function activityRun(): StreamRun {
  const { workflowExecution } = Context.current().info;
  if (!workflowExecution) throw new Error('a stream batch activity must run for a workflow (it records the run that applied each message)');
  return { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId };
}

/** A message whose payload is not what the activity expects: no retry can fix it. Listed as non-retryable by the workflow. */
export class InvalidStreamMessageError extends Error {
  override name = 'InvalidStreamMessageError';
}

export const EXPIRY_WRITE_OFF_ACTOR: Actor = { id: 'system:expiry-write-off', role: 'system' };

const stockKeyPayload = z.object({ storeId: z.string().min(1), sku: z.string().min(1) });
const lotPayload = z.object({ lotId: z.string().min(1) });

function payloads<T>(messages: StreamMessage<unknown>[], schema: z.ZodType<T>): T[] {
  const invalid: string[] = [];
  const valid: T[] = [];
  for (const message of messages) {
    const parsed = schema.safeParse(message.payload);
    if (parsed.success) valid.push(parsed.data);
    else invalid.push(`${message.id}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'payload'} ${issue.message}`).join(', ')}`);
  }
  if (invalid.length > 0) throw new InvalidStreamMessageError(`invalid payload in ${invalid.join('; ')}`);
  return valid;
}

/**
 * The CTEs `claimed` (the ledger claim) and `keys`: the distinct (store, SKU) pairs of the messages the claim took,
 * i.e. the batch's newly claimed work, each message's pair passed as parallel arrays for `unnest`.
 */
function claimedKeysSql(claim: Prisma.Sql, messages: StreamMessage<unknown>[], keys: StockKeyPayload[]): Prisma.Sql {
  return Prisma.sql`
    claimed AS (${claim}),
    keys AS (
      SELECT DISTINCT k.store_id, k.sku
      FROM unnest(${messages.map((message) => message.id)}::text[], ${keys.map((key) => key.storeId)}::text[], ${keys.map((key) => key.sku)}::text[])
           AS k(id, store_id, sku)
      JOIN claimed ON claimed.message_id = k.id
    )`;
}

export interface AvailabilitySyncResult {
  messages: number;
  /** Distinct store × SKU pairs in the batch. */
  keys: number;
  /** Rows created or flipped to available / unavailable; the rest already matched. */
  madeAvailable: number;
  madeUnavailable: number;
  /** Pairs naming a store or SKU that does not exist. */
  unknown: number;
}

export interface ReplenishmentResult {
  messages: number;
  keys: number;
  /** Suggestions created, or reopened after having been closed. */
  opened: number;
  /** Open suggestions whose on-hand, reorder point or quantity changed. */
  refreshed: number;
  closed: number;
}

export interface ExpiryWriteOffResult {
  messages: number;
  lots: number;
  writtenOff: number;
  /** Units taken out of those lots. */
  units: number;
  /** Lots that are not (or no longer) expired with stock left. */
  skipped: number;
  missing: number;
}

export function createInventoryStreamActivities({ db, sql = db, now = () => new Date(), currentRun = activityRun }: InventoryStreamDeps) {
  /** Claims the messages and applies the newly claimed ones, in one transaction. */
  const inLedger = <T, R>(subProcessor: string, messages: StreamMessage<T>[], apply: (tx: Prisma.TransactionClient, fresh: StreamMessage<T>[]) => Promise<R>): Promise<R> =>
    db.$transaction(async (tx) => apply(tx, await claimMessages(tx, subProcessor, messages, currentRun(), now().getTime())), { timeout: 30_000 });
  /** A stock-keyed batch's `claimed` and `keys` CTEs, for a statement that claims and applies at once. */
  const claimedStockKeys = (subProcessor: string, messages: StreamMessage<StockKeyPayload>[]): Prisma.Sql =>
    claimedKeysSql(claimSql(subProcessor, messages, currentRun(), now().getTime()), messages, payloads(messages, stockKeyPayload));

  return {
    /**
     * Sets catalog_availability.available = on_hand > 0 for each store × SKU, from inventory_levels (a
     * missing level counts as 0). updated_at moves only when the flag does.
     */
    async syncAvailability(messages: StreamMessage<StockKeyPayload>[]): Promise<AvailabilitySyncResult> {
      return syncAvailabilityClaimed(sql, messages.length, claimedStockKeys(AVAILABILITY_SYNC, messages));
    },

    /**
     * For each store × SKU: on-hand at or below the item's reorder point opens (or refreshes) a suggestion
     * to order 2 × reorder point − on-hand (at least 1); above it, or with no level or item, closes an open
     * one. Rows are rewritten only when something changed.
     */
    async suggestReplenishment(messages: StreamMessage<StockKeyPayload>[]): Promise<ReplenishmentResult> {
      return suggestReplenishmentClaimed(sql, messages.length, claimedStockKeys(LOW_STOCK_REPLENISHMENT, messages));
    },

    /**
     * Writes off each lot that still holds stock past its expiry date (before today, UTC) through the
     * inventory write path, and records it in expiry_write_offs (once per lot). Lots that are not expired,
     * already at 0, or gone are skipped.
     */
    async writeOffExpiredLots(messages: StreamMessage<ExpiredLotPayload>[]): Promise<ExpiryWriteOffResult> {
      payloads(messages, lotPayload);
      return inLedger(EXPIRY_WRITE_OFF, messages, (tx, fresh) => writeOffExpiredLotsIn(tx, messages.length, [...new Set(payloads(fresh, lotPayload).map(({ lotId }) => lotId))], now()));
    },
  };
}

/**
 * Claims the messages and sets catalog_availability.available = on_hand > 0 for the store × SKU pairs of those newly
 * claimed, from inventory_levels (a missing level counts as 0): one statement, so the claim and the effect commit together.
 */
async function syncAvailabilityClaimed(db: SqlClient, messages: number, claimedKeys: Prisma.Sql): Promise<AvailabilitySyncResult> {
  const [counts] = await sqlRows<{ keys: number; known: number; made_available: number; made_unavailable: number }>(
    db,
    Prisma.sql`
    WITH ${claimedKeys}, wanted AS (
      SELECT keys.store_id, keys.sku, COALESCE(l.on_hand, 0) > 0 AS available
      FROM keys
      JOIN stores s ON s.store_id = keys.store_id
      JOIN catalog_items c ON c.sku = keys.sku
      LEFT JOIN inventory_levels l ON l.store_id = keys.store_id AND l.sku = keys.sku
    ), written AS (
      INSERT INTO catalog_availability AS ca (store_id, sku, available, updated_at)
      SELECT store_id, sku, available, now() FROM wanted
      ON CONFLICT (store_id, sku) DO UPDATE SET available = EXCLUDED.available, updated_at = EXCLUDED.updated_at
      WHERE ca.available IS DISTINCT FROM EXCLUDED.available
      RETURNING ca.available
    )
    SELECT (SELECT count(*) FROM keys)::int AS keys,
           (SELECT count(*) FROM wanted)::int AS known,
           (SELECT count(*) FROM written WHERE available)::int AS made_available,
           (SELECT count(*) FROM written WHERE NOT available)::int AS made_unavailable`,
  );
  const keyCount = counts?.keys ?? 0;
  return {
    messages,
    keys: keyCount,
    madeAvailable: counts?.made_available ?? 0,
    madeUnavailable: counts?.made_unavailable ?? 0,
    unknown: keyCount - (counts?.known ?? 0),
  };
}

/** Claims the messages and opens, refreshes or closes replenishment suggestions for the store × SKU pairs of those newly claimed, in one statement. */
async function suggestReplenishmentClaimed(db: SqlClient, messages: number, claimedKeys: Prisma.Sql): Promise<ReplenishmentResult> {
  const [counts] = await sqlRows<{ keys: number; opened: number; refreshed: number; closed: number }>(
    db,
    Prisma.sql`
    WITH ${claimedKeys}, state AS (
      SELECT k.store_id, k.sku, l.on_hand, c.reorder_point,
             (l.on_hand IS NOT NULL AND c.reorder_point IS NOT NULL AND l.on_hand <= c.reorder_point) AS low
      FROM keys k
      LEFT JOIN inventory_levels l ON l.store_id = k.store_id AND l.sku = k.sku
      LEFT JOIN catalog_items c ON c.sku = k.sku
    ), opened AS (
      INSERT INTO replenishment_suggestions AS rs
        (store_id, sku, on_hand, reorder_point, suggested_quantity, status, opened_at, updated_at, closed_at)
      SELECT store_id, sku, on_hand, reorder_point, GREATEST(1, 2 * reorder_point - on_hand), 'open', now(), now(), NULL
      FROM state WHERE low
      ON CONFLICT (store_id, sku) DO UPDATE SET
        on_hand = EXCLUDED.on_hand,
        reorder_point = EXCLUDED.reorder_point,
        suggested_quantity = EXCLUDED.suggested_quantity,
        status = 'open',
        opened_at = CASE WHEN rs.status = 'open' THEN rs.opened_at ELSE EXCLUDED.opened_at END,
        updated_at = EXCLUDED.updated_at,
        closed_at = NULL
      WHERE rs.status <> 'open'
         OR (rs.on_hand, rs.reorder_point, rs.suggested_quantity)
            IS DISTINCT FROM (EXCLUDED.on_hand, EXCLUDED.reorder_point, EXCLUDED.suggested_quantity)
      RETURNING rs.opened_at = now() AS is_new
    ), closed AS (
      UPDATE replenishment_suggestions rs
      SET status = 'closed', closed_at = now(), updated_at = now(), on_hand = COALESCE(state.on_hand, rs.on_hand)
      FROM state
      WHERE rs.store_id = state.store_id AND rs.sku = state.sku AND NOT state.low AND rs.status = 'open'
      RETURNING rs.store_id
    )
    SELECT (SELECT count(*) FROM keys)::int AS keys,
           (SELECT count(*) FROM opened WHERE is_new)::int AS opened,
           (SELECT count(*) FROM opened WHERE NOT is_new)::int AS refreshed,
           (SELECT count(*) FROM closed)::int AS closed`,
  );
  return {
    messages,
    keys: counts?.keys ?? 0,
    opened: counts?.opened ?? 0,
    refreshed: counts?.refreshed ?? 0,
    closed: counts?.closed ?? 0,
  };
}

/** Writes off the expired lots among `lotIds` through the inventory write path, in the caller's transaction. */
async function writeOffExpiredLotsIn(db: Prisma.TransactionClient, messages: number, lotIds: string[], at: Date): Promise<ExpiryWriteOffResult> {
  const today = at.toISOString().slice(0, 10);
  const result: ExpiryWriteOffResult = { messages, lots: lotIds.length, writtenOff: 0, units: 0, skipped: 0, missing: 0 };
  for (const lotId of lotIds) {
    const lot = await db.inventoryLot.findUnique({
      where: { lotId },
      select: { storeId: true, sku: true, quantity: true, expiresOn: true },
    });
    if (!lot) {
      result.missing += 1;
      continue;
    }
    const expired = lot.expiresOn.toISOString().slice(0, 10) < today;
    if (!expired || lot.quantity === 0) {
      if (expired) await recordEarlierWriteOff(db, lotId, lot);
      result.skipped += 1;
      continue;
    }
    let writtenOff: number;
    try {
      ({ writtenOff } = await writeOffLotIn(db, { lotId, reason: 'expire' }, EXPIRY_WRITE_OFF_ACTOR));
    } catch (err) {
      if (!(err instanceof UnknownStockItemError)) throw err;
      result.missing += 1;
      continue;
    }
    if (writtenOff === 0) {
      result.skipped += 1;
      continue;
    }
    await db.expiryWriteOff.createMany({
      data: [{ lotId, storeId: lot.storeId, sku: lot.sku, quantity: writtenOff, expiresOn: lot.expiresOn }],
      skipDuplicates: true,
    });
    result.writtenOff += 1;
    result.units += writtenOff;
  }
  return result;
}

/**
 * Before the write-off and its expiry_write_offs row shared one transaction, an attempt that died between them left
 * an expired lot at 0 with no row, and the retry would skip the lot. Recover the row from this actor's ledger entry.
 * (The ledger holds what left on-hand, which is the lot's quantity unless on-hand had drifted below it.)
 */
async function recordEarlierWriteOff(
  db: Prisma.TransactionClient,
  lotId: string,
  lot: { storeId: string; sku: string; expiresOn: Date },
): Promise<void> {
  const recorded = await db.expiryWriteOff.findUnique({ where: { lotId }, select: { lotId: true } });
  if (recorded) return;
  const ledger = await db.inventoryAdjustment.findFirst({
    where: { lotId, reason: 'expire', actor: EXPIRY_WRITE_OFF_ACTOR.id },
    orderBy: { createdAt: 'desc' },
    select: { delta: true },
  });
  if (!ledger) return;
  await db.expiryWriteOff.createMany({
    data: [{ lotId, storeId: lot.storeId, sku: lot.sku, quantity: -ledger.delta, expiresOn: lot.expiresOn }],
    skipDuplicates: true,
  });
}

export type InventoryStreamActivities = ReturnType<typeof createInventoryStreamActivities>;

/**
 * The batch activity each sub-processor names in `enqueueChange` is one of these: a misspelt name fails type-checking
 * here instead of leaving messages in a stream workflow that cannot find its activity.
 */
export const STREAM_BATCH_ACTIVITIES = [AVAILABILITY_SYNC_ACTIVITY, REPLENISHMENT_ACTIVITY, EXPIRY_WRITE_OFF_ACTIVITY] as const satisfies readonly (keyof InventoryStreamActivities)[];
