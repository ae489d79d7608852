import type { Admin } from 'kafkajs';
import pg from 'pg';
import { parseLsn, type Lsn } from './lsn.ts';
import { createMissingTopics } from '../../server/kafka/topics.ts';

/** Postgres' SQLSTATE for "already exists", raised when another relay wins a creation race. */
const DUPLICATE_OBJECT = '42710';

export class ReplicationSetupError extends Error {
  override name = 'ReplicationSetupError';
}

/** The publication with exactly these tables or more; tables missing from an existing one are added. */
export async function ensurePublication(client: pg.Client, publicationName: string, tables: readonly string[]): Promise<string[]> {
  const publication = pg.escapeIdentifier(publicationName);
  const list = (names: readonly string[]) => names.map((name) => pg.escapeIdentifier(name)).join(', ');
  const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publicationName]);
  if (exists.rowCount === 0) {
    try {
      // TRUNCATE is left out: a changefeed has no per-row message for it.
      await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${list(tables)} WITH (publish = 'insert, update, delete')`);
      return [...tables];
    } catch (err) {
      if ((err as { code?: string }).code !== DUPLICATE_OBJECT) throw err;
    }
  }
  const published = await client.query<{ tablename: string }>(
    `SELECT tablename FROM pg_publication_tables WHERE pubname = $1 AND schemaname = current_schema()`,
    [publicationName],
  );
  const have = new Set(published.rows.map((row) => row.tablename));
  const missing = tables.filter((table) => !have.has(table));
  if (missing.length > 0) await client.query(`ALTER PUBLICATION ${publication} ADD TABLE ${list(missing)}`);
  return missing;
}

/**
 * The pgoutput slot, created when missing. It must be created after the publication: pgoutput reads the
 * publication through the catalog as of each change, so a slot older than its publication cannot start.
 */
export async function ensureSlot(client: pg.Client, slotName: string): Promise<{ created: boolean }> {
  const existing = await client.query<{ plugin: string; slot_type: string; database: string | null }>(
    'SELECT plugin, slot_type, database FROM pg_replication_slots WHERE slot_name = $1',
    [slotName],
  );
  const slot = existing.rows[0];
  if (!slot) {
    try {
      await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slotName]);
      return { created: true };
    } catch (err) {
      if ((err as { code?: string }).code !== DUPLICATE_OBJECT) throw err;
      return ensureSlot(client, slotName);
    }
  }
  if (slot.slot_type !== 'logical' || slot.plugin !== 'pgoutput') {
    throw new ReplicationSetupError(`Replication slot "${slotName}" exists but is a ${slot.slot_type} slot for "${slot.plugin}", not pgoutput`);
  }
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  if (slot.database !== rows[0]?.db) {
    throw new ReplicationSetupError(`Replication slot "${slotName}" belongs to database "${slot.database}", not "${rows[0]?.db}"`);
  }
  return { created: false };
}

export class SlotMissingError extends Error {
  override name = 'SlotMissingError';
}

/** Where the slot will resume: everything before it has been confirmed delivered. */
export async function confirmedPosition(client: pg.Client, slotName: string): Promise<Lsn> {
  const { rows } = await client.query<{ confirmed: string | null }>(
    'SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1',
    [slotName],
  );
  const row = rows[0];
  // Recreating it here would silently skip every change since it went; that is for an operator to decide.
  if (!row) throw new SlotMissingError(`Replication slot "${slotName}" no longer exists; restart the worker to recreate it`);
  if (!row.confirmed) throw new ReplicationSetupError(`Replication slot "${slotName}" has no confirmed position`);
  return parseLsn(row.confirmed);
}

/**
 * Creates the missing topics (the table topics and their dead-letter topics) before the first change, so
 * consumers can subscribe at once, and returns each table topic's partitions for resolved messages.
 */
export async function ensureTopics(
  admin: Admin,
  topics: readonly string[],
  numPartitions: number,
): Promise<Map<string, number[]>> {
  await createMissingTopics(admin, topics, numPartitions);
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  return new Map(metadata.topics.map(({ name, partitions }) => [name, partitions.map((p) => p.partitionId).sort((a, b) => a - b)]));
}
