import { randomUUID } from 'node:crypto';
import { inTransaction, withDb } from './db.ts';

export interface StockItem {
  storeId: string;
  sku: string;
  /** The level's changefeed key, as dead letters and fault drills name it. */
  rowKey: string;
}

/** On-hand of a fresh item, and its reorder point: above it, so nothing is suggested until a test says so. */
export const FRESH_ON_HAND = 8;
export const FRESH_REORDER_POINT = 3;

/**
 * A store, a catalog item and their inventory_levels row, none of which any other test or the demo seed knows.
 * The insert flows through the real relay, processor and workflows like any other change.
 */
export async function createStockItem(): Promise<StockItem> {
  const run = randomUUID().slice(0, 8).toUpperCase();
  const storeId = `E2E-${run}`;
  const sku = `E2E-SKU-${run}`;
  await withDb(async (client) => {
    await client.query("INSERT INTO stores (store_id, name, city) VALUES ($1, 'E2E store', 'Testville')", [storeId]);
    await client.query("INSERT INTO catalog_items (sku, name, category, reorder_point) VALUES ($1, 'E2E item', 'test', $2)", [sku, FRESH_REORDER_POINT]);
    await client.query('INSERT INTO inventory_levels (store_id, sku, on_hand, updated_at) VALUES ($1, $2, $3, clock_timestamp())', [storeId, sku, FRESH_ON_HAND]);
  });
  return { storeId, sku, rowKey: JSON.stringify([storeId, sku]) };
}

/**
 * Removes the items and everything written about them: stock, ledger, availability, suggestions, write-offs and
 * the dead letters of their levels. The delete itself still flows downstream, where it finds neither store nor item
 * and writes nothing (availability joins both; a suggestion is only closed). Audit entries stay: the log is append-only.
 */
export async function removeStockItems(items: StockItem[]): Promise<void> {
  if (items.length === 0) return;
  const storeIds = items.map((item) => item.storeId);
  const skus = items.map((item) => item.sku);
  await inTransaction(async (client) => {
    await client.query('DELETE FROM inventory_lots WHERE store_id = ANY($1)', [storeIds]);
    await client.query('DELETE FROM inventory_levels WHERE store_id = ANY($1)', [storeIds]);
    await client.query('DELETE FROM catalog_availability WHERE store_id = ANY($1) OR sku = ANY($2)', [storeIds, skus]);
    await client.query('DELETE FROM replenishment_suggestions WHERE store_id = ANY($1)', [storeIds]);
    await client.query('DELETE FROM expiry_write_offs WHERE store_id = ANY($1)', [storeIds]);
    await client.query('DELETE FROM inventory_adjustments WHERE store_id = ANY($1)', [storeIds]);
    await client.query("DELETE FROM dead_letters WHERE table_name = 'inventory_levels' AND row_key = ANY($1)", [items.map((item) => item.rowKey)]);
    await client.query('DELETE FROM stores WHERE store_id = ANY($1)', [storeIds]);
    await client.query('DELETE FROM catalog_items WHERE sku = ANY($1)', [skus]);
  });
}
