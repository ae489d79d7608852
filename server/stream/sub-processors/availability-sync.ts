import { classifyStreamError, InvalidChangeError, isTouch, enqueueChange } from '../stream-signal.ts';
import type { Change, SubProcessor } from '../sub-processor.ts';
import type { InventoryLevelRow, InventoryLotRow } from '../tables.ts';

export const AVAILABILITY_SYNC = 'availability-sync';

/** What the stock-keyed batch activities (availability, replenishment) receive. */
export interface StockKeyPayload {
  storeId: string;
  sku: string;
}

export const AVAILABILITY_SYNC_ACTIVITY = 'syncAvailability';

type Row = InventoryLevelRow | InventoryLotRow;

const stocked = (quantity: number | undefined): boolean => (quantity ?? 0) > 0;

/**
 * inventory_levels: an insert or a delete (the row appears or goes), on-hand crossing zero either way, or a
 * touch. Other on-hand changes (12 → 7) cannot change whether the SKU can be bought, so they are ignored.
 */
export function levelAvailabilityMayChange(change: Change<InventoryLevelRow>): boolean {
  if (change.op !== 'update' || !change.before || !change.after) return true;
  return stocked(change.before.on_hand) !== stocked(change.after.on_hand) || isTouch(change);
}

/** inventory_lots: a lot depleted (quantity to 0, or deleted) or received (from 0, or inserted), or a touch. */
export function lotAvailabilityMayChange(change: Change<InventoryLotRow>): boolean {
  if (change.op === 'update' && !change.before) return true;
  return stocked(change.before?.quantity) !== stocked(change.after?.quantity) || isTouch(change);
}

function stockKey(change: Change<Row>): StockKeyPayload {
  const row = change.after ?? change.before;
  if (!row) throw new InvalidChangeError(`${change.table} ${change.op} of ${change.rowKey} carries neither before nor after`);
  return { storeId: row.store_id, sku: row.sku };
}

/**
 * Keeps catalog_availability (what customers can buy) in step with stock. Attached to both inventory tables;
 * both feed the same per-store workflow, whose activity recomputes from inventory_levels, so the order and
 * number of signals for a SKU do not matter.
 */
export const availabilitySync: SubProcessor<Row> = {
  name: AVAILABILITY_SYNC,
  accepts(change) {
    return change.table === 'inventory_levels'
      ? levelAvailabilityMayChange(change as Change<InventoryLevelRow>)
      : lotAvailabilityMayChange(change as Change<InventoryLotRow>);
  },
  async process(change) {
    const payload = stockKey(change);
    return enqueueChange({ shardKey: payload.storeId, activity: AVAILABILITY_SYNC_ACTIVITY, payload });
  },
  onError(_change, error) {
    return classifyStreamError(error);
  },
};
