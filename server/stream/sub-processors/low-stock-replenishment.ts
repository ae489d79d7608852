import { classifyStreamError, InvalidChangeError, isTouch, enqueueChange } from '../stream-signal.ts';
import type { Change, SubProcessor } from '../sub-processor.ts';
import type { InventoryLevelRow } from '../tables.ts';
import type { StockKeyPayload } from './availability-sync.ts';

export const LOW_STOCK_REPLENISHMENT = 'low-stock-replenishment';

export const REPLENISHMENT_ACTIVITY = 'suggestReplenishment';

/**
 * Any on-hand change (and any insert, delete or touch). Reorder points live in catalog_items, not in the
 * change, so accepts() cannot tell whether a level crossed one; and an open suggestion's quantity follows
 * on-hand, so even a change that stays below the point has work to do. The activity decides.
 */
export function onHandMayMatter(change: Change<InventoryLevelRow>): boolean {
  if (change.op !== 'update' || !change.before || !change.after) return true;
  return change.before.on_hand !== change.after.on_hand || isTouch(change);
}

/** Opens, refreshes and closes replenishment suggestions as stock falls to and recovers from reorder points. */
export const lowStockReplenishment: SubProcessor<InventoryLevelRow> = {
  name: LOW_STOCK_REPLENISHMENT,
  accepts: onHandMayMatter,
  async process(change) {
    const row = change.after ?? change.before;
    if (!row) throw new InvalidChangeError(`${change.table} ${change.op} of ${change.rowKey} carries neither before nor after`);
    const payload: StockKeyPayload = { storeId: row.store_id, sku: row.sku };
    return enqueueChange({ shardKey: row.store_id, activity: REPLENISHMENT_ACTIVITY, payload });
  },
  onError(_change, error) {
    return classifyStreamError(error);
  },
};
