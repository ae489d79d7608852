import { withDb } from './db.ts';

/** Any store × SKU of the demo seed, for a real (audited) stock adjustment. */
export function anyStockItem(): Promise<{ storeId: string; sku: string }> {
  return withDb(async (client) => {
    const { rows } = await client.query<{ store_id: string; sku: string }>('SELECT store_id, sku FROM inventory_levels ORDER BY store_id, sku LIMIT 1');
    const row = rows[0];
    if (!row) throw new Error('no inventory_levels rows: is the demo seed loaded?');
    return { storeId: row.store_id, sku: row.sku };
  });
}
