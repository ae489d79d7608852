import { z } from 'zod';

/**
 * Decoders for the rows of each changefeed table. They are deliberately tolerant of schema evolution:
 * unknown columns are dropped (zod strips them), and nullable or newer columns may be missing.
 */
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'expected an ISO date');

export const inventoryLevelRow = z.object({
  store_id: z.string().min(1),
  sku: z.string().min(1),
  on_hand: z.number().int(),
  updated_at: isoDate.nullish(),
});
export type InventoryLevelRow = z.infer<typeof inventoryLevelRow>;

export const inventoryLotRow = z.object({
  lot_id: z.string().min(1),
  store_id: z.string().min(1),
  sku: z.string().min(1),
  quantity: z.number().int(),
  expires_on: isoDate,
  received_at: isoDate.nullish(),
  updated_at: isoDate.nullish(),
});
export type InventoryLotRow = z.infer<typeof inventoryLotRow>;

/** The tables the CDC relay publishes; each becomes a Kafka topic of the same name. */
export const changefeedTables = {
  inventory_levels: { row: inventoryLevelRow, primaryKey: ['store_id', 'sku'] },
  inventory_lots: { row: inventoryLotRow, primaryKey: ['lot_id'] },
} as const;

export type ChangefeedTable = keyof typeof changefeedTables;

/** Each table's row type, derived from its schema above: a new table needs no second list. */
export type TableRows = { [T in ChangefeedTable]: z.infer<(typeof changefeedTables)[T]['row']> };

export function isChangefeedTable(name: string): name is ChangefeedTable {
  return Object.hasOwn(changefeedTables, name);
}

/**
 * Partitions of each table topic the relay and the processor create: enough that two or three worker replicas
 * each own a share of every table (KAFKA_TOPIC_PARTITIONS overrides it; existing topics keep theirs).
 */
export const DEFAULT_TOPIC_PARTITIONS = 6;

/** Topic names: the table itself, and its dead-letter topic. */
export const topicFor = (table: ChangefeedTable): string => table;
export const dlqTopicFor = (topic: string): string => `${topic}.dlq`;
