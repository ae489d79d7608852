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
  const columns: readonly EncodableColumn[] = change.relation.columns;
  const encode = (tuple: Record<string, unknown> | null) => (tuple ? encodeTuple(columns, tuple) : null);
  const message = (after: Record<string, unknown> | null, before: Record<string, unknown> | null, index: number) => {
    const key = primaryKeyOf(table, after ?? before);
    const envelope: ChangeEnvelope = { after, before, key, updated: formatHlc({ wall: commitWallNanos, logical: index }) };
    return { topic: table.topic, key: encodeKey(key), value: JSON.stringify(envelope) };
  };

  switch (change.tag) {
    case 'insert':
      return [message(encode(change.new), null, logical)];
    case 'update': {
      const after = encode(change.new);
      // Without REPLICA IDENTITY FULL pgoutput sends the old key only when it changed, and no old row at all otherwise.
      const before = encode(change.old ?? change.key);
      if (before && encodeKey(primaryKeyOf(table, before)) !== encodeKey(primaryKeyOf(table, after))) {
        return [message(null, before, logical), message(after, null, logical + 1)];
      }
      return [message(after, change.old ? before : null, logical)];
    }
    case 'delete':
      return [message(null, encode(change.old ?? change.key), logical)];
  }
}

function primaryKeyOf(table: PublishedTable, row: Record<string, unknown> | null): unknown[] {
  return table.primaryKey.map((column) => {
    if (!row || !(column in row)) {
      throw new UnpublishableChangeError(`${table.table}: a change arrived without primary-key column "${column}"`);
    }
    return row[column];
  });
}
