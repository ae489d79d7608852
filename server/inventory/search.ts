import { z } from 'zod';
import { Prisma, type PrismaClient } from '../db/generated/client.ts';
import { identifierText } from '../http/text-rules.ts';
import type { LedgerEntry } from './ledger-entry.ts';

/**
 * Inventory search for the console: store × SKU rows with their catalog item and customer-facing availability,
 * filtered by store, SKU prefix and item-name text, in (store, SKU) order with keyset pagination. Every page is
 * an index range scan on the primary key from the cursor onwards, so page 400 costs what page 1 does.
 */

export const SEARCH_PAGE_SIZE = 25;
export const SEARCH_MAX_PAGE_SIZE = 100;

/** Where the next page starts: strictly after this (store, SKU). */
export interface SearchCursor {
  storeId: string;
  sku: string;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const cursorSchema = z.tuple([z.string().min(1).max(64), z.string().min(1).max(64)]);

/** Opaque to the client: base64url of the JSON pair [storeId, sku]. */
export function encodeCursor({ storeId, sku }: SearchCursor): string {
  return Buffer.from(JSON.stringify([storeId, sku]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): SearchCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('The page cursor is not valid; start again from the first page.');
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success) throw new InvalidCursorError('The page cursor is not valid; start again from the first page.');
  const [storeId, sku] = result.data;
  return { storeId, sku };
}

const optionalText = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, `${label} is limited to ${max} characters`)
    .optional()
    .transform((value) => (value ? value : undefined));

/** The query string of GET /api/inventory/levels. Empty parameters mean "no filter". */
export const inventorySearchSchema = z.object({
  store: optionalText(64, 'store'),
  /** SKUs are upper case; the prefix is matched as typed, upper-cased. */
  sku: optionalText(64, 'SKU prefix').transform((value) => value?.toUpperCase()),
  /** Case-insensitive text anywhere in the item name. */
  q: optionalText(100, 'item name'),
  cursor: optionalText(400, 'cursor').transform((value, ctx) => {
    if (value === undefined) return undefined;
    try {
      return decodeCursor(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(SEARCH_MAX_PAGE_SIZE, `limit is at most ${SEARCH_MAX_PAGE_SIZE}`)
    .default(SEARCH_PAGE_SIZE),
});
export type InventorySearch = z.output<typeof inventorySearchSchema>;

/**
 * Reads the query string; a repeated parameter takes its first value, and `storeId` is accepted for `store`.
 * Throws ZodError (422) on bad input.
 */
export function parseSearchParams(params: URLSearchParams): InventorySearch {
  const pick = (name: string) => params.get(name) ?? undefined;
  return inventorySearchSchema.parse({ store: pick('store') ?? pick('storeId'), sku: pick('sku'), q: pick('q'), cursor: pick('cursor'), limit: pick('limit') });
}

/** Escapes LIKE wildcards so user text matches literally (the default escape character is backslash). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

export interface InventoryRow {
  storeId: string;
  storeName: string;
  sku: string;
  itemName: string;
  onHand: number;
  reorderPoint: number;
  /** Customer-facing availability; null when the change stream has not written it for this row yet. */
  available: boolean | null;
  availabilityUpdatedAt: string | null;
  updatedAt: string;
}

export interface InventoryPage {
  rows: InventoryRow[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** The WHERE clause, built only from the filters given so each combination gets its own plan. */
export function searchConditions(search: Pick<InventorySearch, 'store' | 'sku' | 'q' | 'cursor'>): Prisma.Sql {
  const conditions: Prisma.Sql[] = [];
  if (search.store) conditions.push(Prisma.sql`l.store_id = ${search.store}`);
  if (search.sku) conditions.push(Prisma.sql`l.sku LIKE ${`${escapeLike(search.sku)}%`}`);
  if (search.q) {
    conditions.push(Prisma.sql`l.sku IN (SELECT ci.sku FROM catalog_items ci WHERE ci.name ILIKE ${`%${escapeLike(search.q)}%`})`);
  }
  if (search.cursor) conditions.push(Prisma.sql`(l.store_id, l.sku) > (${search.cursor.storeId}, ${search.cursor.sku})`);
  return conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
}

interface RawRow {
  store_id: string;
  store_name: string;
  sku: string;
  item_name: string;
  on_hand: number;
  reorder_point: number;
  available: boolean | null;
  availability_updated_at: Date | null;
  updated_at: Date;
}

export function searchSql(search: InventorySearch): Prisma.Sql {
  return Prisma.sql`
    SELECT l.store_id, s.name AS store_name, l.sku, c.name AS item_name, l.on_hand, c.reorder_point,
           a.available, a.updated_at AS availability_updated_at, l.updated_at
    FROM inventory_levels l
    JOIN catalog_items c ON c.sku = l.sku
    JOIN stores s ON s.store_id = l.store_id
    LEFT JOIN catalog_availability a ON a.store_id = l.store_id AND a.sku = l.sku
    ${searchConditions(search)}
    ORDER BY l.store_id, l.sku
    LIMIT ${search.limit + 1}`;
}

export async function searchInventory(db: PrismaClient, search: InventorySearch): Promise<InventoryPage> {
  const raw = await db.$queryRaw<RawRow[]>(searchSql(search));
  const page = raw.slice(0, search.limit);
  const last = page.at(-1);
  return {
    rows: page.map((row) => ({
      storeId: row.store_id,
      storeName: row.store_name,
      sku: row.sku,
      itemName: row.item_name,
      onHand: row.on_hand,
      reorderPoint: row.reorder_point,
      available: row.available,
      availabilityUpdatedAt: row.availability_updated_at?.toISOString() ?? null,
      updatedAt: row.updated_at.toISOString(),
    })),
    nextCursor: raw.length > search.limit && last ? encodeCursor({ storeId: last.store_id, sku: last.sku }) : null,
  };
}

export interface StoreOption {
  storeId: string;
  name: string;
  city: string;
}

/** GET /api/inventory/stores and /api/inventory/redrive/stores. */
export interface StoreListResponse {
  stores: StoreOption[];
}

/** The stores, for the search form's store picker. */
export async function listStores(db: PrismaClient): Promise<StoreOption[]> {
  return db.store.findMany({ select: { storeId: true, name: true, city: true }, orderBy: { storeId: 'asc' } });
}

/** A store × SKU, as the lots and ledger views take it from the query string. */
export const stockKeySchema = z.object({
  store: identifierText('store', 64),
  sku: identifierText('SKU', 64),
});

export function parseStockKey(params: URLSearchParams): { storeId: string; sku: string } {
  const { store, sku } = stockKeySchema.parse({ store: params.get('store') ?? params.get('storeId') ?? undefined, sku: params.get('sku') ?? undefined });
  return { storeId: store, sku };
}

export interface LotRow {
  lotId: string;
  quantity: number;
  /** YYYY-MM-DD */
  expiresOn: string;
  receivedAt: string;
  /** Whole days from today (UTC) to the expiry date; negative once past it. */
  daysToExpiry: number;
  /** Past its expiry date (the lot may still hold stock until it is written off). */
  expired: boolean;
  /** Set when the expiry write-off sub-processor wrote the lot off. */
  writtenOff: { quantity: number; at: string } | null;
}

/** GET /api/inventory/lots. */
export interface LotListResponse {
  lots: LotRow[];
}

const DAY_MS = 86_400_000;

/** Days from `today` to `expiresOn`, both as UTC dates. */
export function daysBetween(today: Date, expiresOn: Date): number {
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((expiresOn.getTime() - midnight) / DAY_MS);
}

/** A store × SKU's lots, soonest expiry first (the order they should be sold in). */
export async function listLots(db: PrismaClient, key: { storeId: string; sku: string }, now = new Date()): Promise<LotRow[]> {
  const rows = await db.$queryRaw<
    { lot_id: string; quantity: number; expires_on: Date; received_at: Date; wo_quantity: number | null; written_off_at: Date | null }[]
  >`
    SELECT l.lot_id, l.quantity, l.expires_on, l.received_at, w.quantity AS wo_quantity, w.written_off_at
    FROM inventory_lots l
    LEFT JOIN expiry_write_offs w ON w.lot_id = l.lot_id
    WHERE l.store_id = ${key.storeId} AND l.sku = ${key.sku}
    ORDER BY l.expires_on, l.lot_id
    LIMIT 200`;
  return rows.map((row) => {
    const daysToExpiry = daysBetween(now, row.expires_on);
    return {
      lotId: row.lot_id,
      quantity: row.quantity,
      expiresOn: row.expires_on.toISOString().slice(0, 10),
      receivedAt: row.received_at.toISOString(),
      daysToExpiry,
      expired: daysToExpiry < 0,
      writtenOff: row.wo_quantity !== null && row.written_off_at ? { quantity: row.wo_quantity, at: row.written_off_at.toISOString() } : null,
    };
  });
}

export interface LedgerRow extends LedgerEntry {
  lotId: string | null;
}

/** GET /api/inventory/adjustments. */
export interface AdjustmentListResponse {
  adjustments: LedgerRow[];
}

/** The latest stock changes of a store × SKU, newest first. */
export async function recentAdjustments(db: PrismaClient, key: { storeId: string; sku: string }, limit = 10): Promise<LedgerRow[]> {
  const rows = await db.inventoryAdjustment.findMany({
    where: { storeId: key.storeId, sku: key.sku },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  return rows.map((row) => ({
    id: row.id.toString(),
    lotId: row.lotId,
    delta: row.delta,
    reason: row.reason,
    note: row.note,
    actor: row.actor,
    onHandAfter: row.onHandAfter,
    createdAt: row.createdAt.toISOString(),
  }));
}
