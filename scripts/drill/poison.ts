import { randomUUID } from 'node:crypto';
import { Partitioners, type ConfigResourceTypes, type Kafka } from 'kafkajs';
import type { PrismaClient } from '../../server/db/generated/client.ts';
import { DLQ_HEADERS } from '../../server/stream/dead-letter-record.ts';
import { formatHlc } from '../../server/stream/envelope.ts';
import { dlqTopicFor, topicFor } from '../../server/stream/tables.ts';
import type { StockRow } from './load.ts';

/**
 * Bad inputs produced straight to a changefeed topic, past the relay, as a broken or hostile producer
 * would. Each must be dead-lettered exactly once (one dead_letters row, one copy on `<topic>.dlq`) while the
 * partition keeps flowing. The envelopes that are otherwise valid name the drill's own rows, so one that is
 * applied instead of dead-lettered (or that moves a key's watermark) shows up in the effect check too.
 */

export const POISON_TOPIC = topicFor('inventory_levels');
/** Raised on the topic so that a value over 1 MB can be produced at all. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** ConfigResourceTypes.TOPIC: kafkajs' CommonJS exports past its first few are invisible to ESM named imports. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

export interface Poison {
  name: string;
  key: Buffer | string | null;
  value: Buffer | string;
}

export interface ProducedPoison extends Poison {
  partition: number;
  offset: string;
}

const NANOS_PER_MS = 1_000_000n;

/** The bad inputs of issue 10, on `rows` (at least one). */
export function poisonMessages(rows: readonly StockRow[], now = new Date()): Poison[] {
  const row = (i: number): StockRow => rows[i % rows.length] as StockRow;
  const key = (r: { storeId: string; sku: string }) => JSON.stringify([r.storeId, r.sku]);
  const nowWall = BigInt(now.getTime()) * NANOS_PER_MS;
  const envelope = (r: { storeId: string; sku: string }, updated: string) =>
    JSON.stringify({
      after: { store_id: r.storeId, sku: r.sku, on_hand: 7, updated_at: now.toISOString() },
      before: { store_id: r.storeId, sku: r.sku, on_hand: 8, updated_at: now.toISOString() },
      key: [r.storeId, r.sku],
      updated,
    });
  const fresh = formatHlc({ wall: nowWall, logical: 0 });
  const longKeyRow = { storeId: `DRILL-LONG-${'K'.repeat(3000)}`, sku: row(0).sku };
  const nulRow = { storeId: `DRILL-NUL-\u0000-STORE`, sku: row(1).sku };
  return [
    // Confluent wire format: magic byte 0, 4-byte schema id, then Avro binary (a long and a string).
    { name: 'avro-framed value', key: key(row(0)), value: Buffer.from([0x00, 0x00, 0x00, 0x00, 0x2a, 0x0e, 0x0c, ...Buffer.from('SF-001')]) },
    { name: 'non-UTF-8 value', key: key(row(1)), value: Buffer.concat([Buffer.from('{"after":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1]), Buffer.from('"}')]) },
    { name: 'NUL byte in the value', key: key(row(2)), value: envelope(row(2), fresh).replace('"on_hand":7', '"on_hand":7,"note":"a\u0000b"') },
    { name: 'NUL (\\u0000) in a decoded row value', key: key(nulRow), value: envelope(nulRow, fresh) },
    { name: 'NUL byte in the key', key: Buffer.from(`["${row(3).storeId}\u0000","${row(3).sku}"]`), value: envelope(row(3), fresh) },
    { name: 'value over 1 MB', key: key(row(4)), value: JSON.stringify({ junk: 'x'.repeat(1_200_000) }) },
    { name: 'key over 2 KB', key: key(longKeyRow), value: envelope(longKeyRow, fresh) },
    { name: 'updated: wall above int8', key: key(row(5)), value: envelope(row(5), '9300000000000000000.0000000000') },
    { name: 'updated: logical above int4', key: key(row(6)), value: envelope(row(6), formatHlc({ wall: nowWall, logical: 2_200_000_000 })) },
    { name: 'updated: 20-digit wall', key: key(row(7)), value: envelope(row(7), '12345678901234567890.0000000000') },
    { name: 'updated: year 2100', key: key(row(8)), value: envelope(row(8), formatHlc({ wall: BigInt(Date.UTC(2100, 0, 1)) * NANOS_PER_MS, logical: 0 })) },
  ];
}

/** Produces each poison message on its own (partitioned by key, as the relay partitions), returning where it landed. */
export async function producePoison(kafka: Kafka, poison: readonly Poison[]): Promise<ProducedPoison[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // AlterConfigs replaces the topic's overrides; the relay's topics carry none.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: TOPIC_RESOURCE, name: POISON_TOPIC, configEntries: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }] }],
    });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const produced: ProducedPoison[] = [];
    for (const message of poison) {
      const [meta] = await producer.send({ topic: POISON_TOPIC, acks: -1, messages: [{ key: message.key, value: message.value }] });
      if (!meta?.baseOffset) throw new Error(`producing "${message.name}" returned no offset`);
      produced.push({ ...message, partition: meta.partition, offset: meta.baseOffset });
    }
    return produced;
  } finally {
    await producer.disconnect();
  }
}

export interface PoisonCount {
  poison: ProducedPoison;
  /** dead_letters rows of this message, as `sub_processor/stage`. */
  rows: string[];
  /** Copies on the DLQ topic (counted by the dlq-original-partition/offset headers). */
  dlqCopies: number;
}

/** dead_letters rows of each poison message. */
export async function deadLetterRows(db: PrismaClient, produced: readonly ProducedPoison[]): Promise<string[][]> {
  const rows = await db.$queryRaw<{ partition: number; offset: bigint; what: string }[]>`
    SELECT partition, "offset", sub_processor || '/' || stage::text AS what FROM dead_letters
    WHERE topic = ${POISON_TOPIC}
      AND (partition, "offset") IN (SELECT * FROM unnest(${produced.map((p) => p.partition)}::int[], ${produced.map((p) => BigInt(p.offset))}::bigint[]))`;
  return produced.map((p) => rows.filter((row) => row.partition === p.partition && row.offset === BigInt(p.offset)).map((row) => row.what));
}

/** Reads the whole DLQ topic once and counts the copies of each poison message. */
export async function countPoison(db: PrismaClient, kafka: Kafka, produced: readonly ProducedPoison[]): Promise<PoisonCount[]> {
  const [rows, copies] = await Promise.all([deadLetterRows(db, produced), dlqCopies(kafka, dlqTopicFor(POISON_TOPIC))]);
  return produced.map((poison, i) => ({ poison, rows: rows[i] ?? [], dlqCopies: copies.get(`${poison.partition}@${poison.offset}`) ?? 0 }));
}

async function dlqCopies(kafka: Kafka, topic: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  // The last offset of each partition that holds anything; read until each is reached.
  const remaining = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high) - 1n]));
  if (remaining.size === 0) return counts;
  const consumer = kafka.consumer({ groupId: `drill-dlq-reader-${randomUUID()}`, maxBytesPerPartition: 2 * MAX_MESSAGE_BYTES });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} took over 60 s`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const header = (name: string) => message.headers?.[name]?.toString();
            const origin = `${header(DLQ_HEADERS.originalPartition)}@${header(DLQ_HEADERS.originalOffset)}`;
            counts.set(origin, (counts.get(origin) ?? 0) + 1);
            const last = remaining.get(partition);
            if (last !== undefined && BigInt(message.offset) >= last) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return counts;
}
