import { z } from 'zod';
import { Prisma, type PrismaClient } from '../db/generated/client.ts';

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

/** Reads the query string; a repeated parameter takes its first value. Throws ZodError (422) on bad input. */
export function parseSearchParams(params: URLSearchParams): InventorySearch {
  const pick = (name: string) => params.get(name) ?? undefined;
  return inventorySearchSchema.parse({ store: pick('store'), sku: pick('sku'), q: pick('q'), cursor: pick('cursor'), limit: pick('limit') });
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

/** The stores, for the search form's store picker. */
export async function listStores(db: PrismaClient): Promise<{ storeId: string; name: string; city: string }[]> {
  return db.store.findMany({ select: { storeId: true, name: true, city: true }, orderBy: { storeId: 'asc' } });
}
