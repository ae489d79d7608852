import type pg from 'pg';

/** The benches' stores and catalog items (reorder point 5), created if missing; their stock is each bench's own. */
export async function seedStoresAndItems(pool: pg.Pool, stores: string[], skus: string[]): Promise<void> {
  await pool.query(`INSERT INTO stores (store_id, name, city) SELECT s, 'Bench ' || s, 'Benchville' FROM unnest($1::text[]) s ON CONFLICT DO NOTHING`, [stores]);
  await pool.query(
    `INSERT INTO catalog_items (sku, name, category, reorder_point) SELECT k, 'Bench item ' || k, 'bench', 5 FROM unnest($1::text[]) k ON CONFLICT DO NOTHING`,
    [skus],
  );
}
