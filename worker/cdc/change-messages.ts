import type { Pgoutput } from 'pg-logical-replication';
import { encodeKey, formatHlc, type ChangeEnvelope } from '../../server/stream/envelope.ts';
import { encodeTuple, type EncodableColumn } from './row-encoding.ts';

/** A table as the relay publishes it. */
export interface PublishedTable {
  table: string;
  topic: string;
  primaryKey: readonly string[];
}

/** One Kafka message ready to send. */
export interface OutgoingMessage {
  topic: string;
  key: string;
  value: string;
}

export type RowChange = Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete;

export class UnpublishableChangeError extends Error {
  override name = 'UnpublishableChangeError';
}

/**
 * The changefeed messages for one row change. `logical` is the index of the first of them within its
 * transaction: every change in a transaction shares the commit time and is told apart, in order, by it.
 * An update that changes the primary key becomes a delete of the old key and an insert of the new one, as
 * on CockroachDB, so each key's history stays on its own key.
 */
export function changeMessages(table: PublishedTable, change: RowChange, commitWallNanos: bigint, logical: number): OutgoingMessage[] {
  // Plain functions rather than closures: this runs once per row, and the closures (with tsx's name helper) showed in profiles.
  const columns: readonly EncodableColumn[] = change.relation.columns;
  switch (change.tag) {
    case 'insert': {
      const after = encodeTuple(columns, change.new);
      return [message(table, primaryKeyOf(table, after), after, null, commitWallNanos, logical)];
    }
    case 'update': {
      const after = encodeTuple(columns, change.new);
      const afterKey = primaryKeyOf(table, after);
      // Without REPLICA IDENTITY FULL pgoutput sends the old key only when it changed, and no old row at all otherwise.
      const oldTuple = change.old ?? change.key;
      const before = oldTuple ? encodeTuple(columns, oldTuple) : null;
      if (before) {
        const beforeKey = primaryKeyOf(table, before);
        if (encodeKey(beforeKey) !== encodeKey(afterKey)) {
          return [message(table, beforeKey, null, before, commitWallNanos, logical), message(table, afterKey, after, null, commitWallNanos, logical + 1)];
        }
      }
      return [message(table, afterKey, after, change.old ? before : null, commitWallNanos, logical)];
    }
    case 'delete': {
      const oldTuple = change.old ?? change.key;
      if (!oldTuple) throw new UnpublishableChangeError(`${table.table}: a delete arrived without its old row or key`);
      const before = encodeTuple(columns, oldTuple);
      return [message(table, primaryKeyOf(table, before), null, before, commitWallNanos, logical)];
    }
  }
}

function message(
  table: PublishedTable,
  key: unknown[],
  after: Record<string, unknown> | null,
  before: Record<string, unknown> | null,
  commitWallNanos: bigint,
  logical: number,
): OutgoingMessage {
  const envelope: ChangeEnvelope = { after, before, key, updated: formatHlc({ wall: commitWallNanos, logical }) };
  return { topic: table.topic, key: encodeKey(key), value: JSON.stringify(envelope) };
}

function primaryKeyOf(table: PublishedTable, row: Record<string, unknown>): unknown[] {
  return table.primaryKey.map((column) => {
    if (!(column in row)) {
      throw new UnpublishableChangeError(`${table.table}: a change arrived without primary-key column "${column}"`);
    }
    return row[column];
  });
}
