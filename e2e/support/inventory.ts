import { withDb as withClient } from './db.ts';


/** On-hand of a store × SKU straight from the database (null when the row does not exist). */
export function onHand(storeId: string, sku: string): Promise<number | null> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ on_hand: number }>('SELECT on_hand FROM inventory_levels WHERE store_id = $1 AND sku = $2', [storeId, sku]);
    return rows[0]?.on_hand ?? null;
  });
}

/** The audit row the console's latest adjustment of a store × SKU wrote. */
export function latestAdjustAudit(storeId: string, sku: string): Promise<{ actor: string; actor_role: string; reason: string | null; details: { delta: number; reason: string } } | null> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ actor: string; actor_role: string; reason: string | null; details: { delta: number; reason: string } }>(
      `SELECT actor, actor_role, reason, details FROM audit_log WHERE action = 'inventory.adjust' AND target = $1 ORDER BY id DESC LIMIT 1`,
      [`inventory_levels:${storeId}/${sku}`],
    );
    return rows[0] ?? null;
  });
}
