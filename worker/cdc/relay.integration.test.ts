import { randomUUID } from 'node:crypto';
import { Kafka, KafkaJSError, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import pg from 'pg';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { db } from '../../server/db/client.ts';
import { parseHlc, type ChangeEnvelope } from '../../server/stream/envelope.ts';
import { DEFAULT_TOPIC_PARTITIONS } from '../../server/stream/tables.ts';
import { getSlotLag } from '../../server/stream/slot-lag.ts';
import { maxLsn, parseLsn } from './lsn.ts';
import { startCdcRelay, type CdcRelayOptions } from './relay.ts';

const ALL_PARTITIONS = Array.from({ length: DEFAULT_TOPIC_PARTITIONS }, (_, partition) => partition);

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through \`npm test\`, which starts the services.`);
  return value;
}

const connectionString = required('DATABASE_URL');
const runId = randomUUID().slice(0, 8);
// Other test files write to the inventory tables too: everything here is filtered by this store's keys.
const storeId = `CDC-${runId}`;
const skus = ['A', 'B', 'C'].map((letter) => `CDC-${runId}-${letter}`);
const [skuA = '', skuB = '', skuC = ''] = skus;

const pool = new pg.Pool({ connectionString, max: 6 });
const kafka = new Kafka({ clientId: 'cdc-relay-test', brokers: required('KAFKA_BROKERS').split(','), logLevel: logLevel.WARN });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
const admin = kafka.admin();

const [FAILED, STREAMING, CRASHED] = ['CDC replication failed; reconnecting', 'CDC replication streaming', 'CDC relay halted by an injected crash'];

/** One relay's log records: how production reports a failed session and the streaming that follows it. */
class RelayLog {
  readonly records: { level: number; msg: string; err?: { message: string } }[] = [];
  readonly logger = pino({ level: 'info' }, { write: (line: string) => void this.records.push(JSON.parse(line) as RelayLog['records'][number]) });

  /** Index of the last record with this message, -1 if none. */
  last(msg: string): number {
    return this.records.findLastIndex((record) => record.msg === msg);
  }

  /** The error of the last failed session, if any. */
  lastFailure(): string | undefined {
    const failed = this.last(FAILED);
    return failed < 0 ? undefined : this.records[failed]?.err?.message;
  }

  /** Streaming again after the last failure (or never failed). */
  streaming(): boolean {
    return this.last(STREAMING) > this.last(FAILED);
  }
}

interface Received {
  topic: string;
  partition: number;
  key: string | null;
  value: string;
}

/** Everything on the inventory topics, read from the beginning by a group of its own. */
class Collector {
  readonly messages: Received[] = [];
  constructor(readonly consumer: Consumer) {}

  changes(topic: string, keyIncludes: string): (ChangeEnvelope & { partition: number; raw: string })[] {
    return this.messages
      .filter((message) => message.topic === topic && message.key?.includes(keyIncludes))
      .map((message) => ({ ...(JSON.parse(message.value) as ChangeEnvelope), partition: message.partition, raw: message.value }));
  }

  resolved(topic: string): { partition: number; key: string | null; resolved: string }[] {
    return this.messages
      .filter((message) => message.topic === topic && message.value.startsWith('{"resolved"'))
      .map((message) => ({ partition: message.partition, key: message.key, ...(JSON.parse(message.value) as { resolved: string }) }));
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
let names = 0;

/** A relay on a fresh slot and publication, or on `reuse`'s, stopped and dropped after the test. */
async function startRelay(overrides: Partial<CdcRelayOptions> = {}, reuse?: { slotName: string; publicationName: string }) {
  names += 1;
  const slotName = reuse?.slotName ?? `cdc_test_${runId}_${names}`;
  const publicationName = reuse?.publicationName ?? `cdc_test_${runId}_${names}`;
  if (!reuse) cleanups.push(() => dropSlotAndPublication(slotName, publicationName));
  const log = new RelayLog();
  const relay = await startCdcRelay({
    connectionString,
    producer,
    admin,
    tables: ['inventory_levels', 'inventory_lots'],
    slotName,
    publicationName,
    resolvedIntervalMs: 300,
    log: log.logger,
    reconnect: { initialMs: 100, maxMs: 1000 },
    ...overrides,
  });
  cleanups.push(() => relay.stop());
  return { relay, slotName, publicationName, log };
}

async function collect(): Promise<Collector> {
  const groupId = `cdc-relay-test-${runId}-${(names += 1)}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  const collector = new Collector(consumer);
  cleanups.push(async () => {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: ['inventory_levels', 'inventory_lots'], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      collector.messages.push({ topic, partition, key: message.key?.toString() ?? null, value: message.value?.toString() ?? '' });
    },
  });
  return collector;
}

async function dropSlotAndPublication(slotName: string, publicationName: string): Promise<void> {
  // An inactive leftover slot would hold WAL forever; the walsender may take a moment to let go of it.
  await vi.waitFor(
    async () => {
      const { rows } = await pool.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slotName]);
      if (rows[0]?.active) throw new Error(`slot ${slotName} is still active`);
      if (rows[0]) await pool.query('SELECT pg_drop_replication_slot($1)', [slotName]);
    },
    { timeout: 15_000, interval: 100 },
  );
  await pool.query(`DROP PUBLICATION IF EXISTS ${pg.escapeIdentifier(publicationName)}`);
}

async function inTransaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

async function confirmedFlush(slotName: string): Promise<bigint> {
  const { rows } = await pool.query<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [
    slotName,
  ]);
  return parseLsn(rows[0]?.lsn ?? '0/0');
}

async function currentWalLsn(): Promise<bigint> {
  const { rows } = await pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return parseLsn(rows[0]?.lsn ?? '0/0');
}

const wait = { timeout: 30_000, interval: 100 };

beforeAll(async () => {
  await Promise.all([producer.connect(), admin.connect()]);
  await pool.query(`INSERT INTO stores (store_id, name, city) VALUES ($1, 'CDC relay test', 'Testville')`, [storeId]);
  for (const sku of skus) {
    await pool.query(`INSERT INTO catalog_items (sku, name, category) VALUES ($1, 'CDC relay test item', 'test')`, [sku]);
  }
});

afterEach(async () => {
  // Newest first: relays stop before their slots are dropped. Every step runs even if one fails.
  const failures: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => failures.push(err));
  if (failures.length > 0) throw new AggregateError(failures, 'CDC relay test cleanup failed');
});

afterAll(async () => {
  await Promise.allSettled([producer.disconnect(), admin.disconnect(), db().$disconnect()]);
  await pool.end();
});

describe('the CDC relay', () => {
  it('writes an insert, an update and a delete of inventory_levels as changefeed envelopes', async () => {
    await startRelay();
    const collector = await collect();
    const key = JSON.stringify([storeId, skuA]);

    const startedAt = Date.now();
    await pool.query(
      `INSERT INTO inventory_levels (store_id, sku, on_hand, updated_at) VALUES ($1, $2, 5, '2026-11-23 10:00:00.123456+00')`,
      [storeId, skuA],
    );
    await pool.query(
      `UPDATE inventory_levels SET on_hand = 4, updated_at = '2026-11-23 11:30:00.000002+01:30' WHERE store_id = $1 AND sku = $2`,
      [storeId, skuA],
    );
    await pool.query('DELETE FROM inventory_levels WHERE store_id = $1 AND sku = $2', [storeId, skuA]);
    const finishedAt = Date.now();

    await vi.waitFor(() => expect(collector.changes('inventory_levels', key)).toHaveLength(3), wait);
    const [inserted, updated, deleted] = collector.changes('inventory_levels', key);
    const before = `{"store_id":"${storeId}","sku":"${skuA}","on_hand":5,"updated_at":"2026-11-23T10:00:00.123456Z"}`;
    const after = `{"store_id":"${storeId}","sku":"${skuA}","on_hand":4,"updated_at":"2026-11-23T10:00:00.000002Z"}`;
    expect(updated?.raw).toBe(`{"after":${after},"before":${before},"key":${key},"updated":"${updated?.updated}"}`);
    expect(inserted?.raw).toBe(`{"after":${before},"before":null,"key":${key},"updated":"${inserted?.updated}"}`);
    expect(deleted?.raw).toBe(`{"after":null,"before":${after},"key":${key},"updated":"${deleted?.updated}"}`);

    // `updated` is each transaction's commit time in nanoseconds (microsecond precision), logical 0.
    const stamps = [inserted, updated, deleted].map((change) => parseHlc(change?.updated ?? ''));
    for (const { wall, logical } of stamps) {
      expect(logical).toBe(0);
      expect(wall % 1000n).toBe(0n);
      expect(Number(wall / 1_000_000n)).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(Number(wall / 1_000_000n)).toBeLessThanOrEqual(finishedAt + 1000);
    }
    expect(stamps[0]!.wall < stamps[1]!.wall && stamps[1]!.wall < stamps[2]!.wall).toBe(true);
  });

  it('writes a multi-row transaction in statement order with one commit time and increasing logical counters', async () => {
    await startRelay();
    const collector = await collect();
    const lotId = `${storeId}-lot-multi`;

    await inTransaction(async (client) => {
      await client.query('INSERT INTO inventory_levels (store_id, sku, on_hand) VALUES ($1, $2, 1), ($1, $3, 2)', [storeId, skuB, skuC]);
      await client.query(`INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on) VALUES ($1, $2, $3, 9, '2027-01-31')`, [
        lotId,
        storeId,
        skuB,
      ]);
      await client.query('UPDATE inventory_levels SET on_hand = 3 WHERE store_id = $1 AND sku = $2', [storeId, skuB]);
      await client.query('DELETE FROM inventory_levels WHERE store_id = $1 AND sku = $2', [storeId, skuC]);
    });

    const ours = () => [skuB, skuC, lotId].flatMap((key) => collector.changes(key === lotId ? 'inventory_lots' : 'inventory_levels', key));
    await vi.waitFor(() => expect(ours()).toHaveLength(5), wait);
    const stamps = ours()
      .map((change) => ({ ...parseHlc(change.updated), change }))
      .sort((a, b) => a.logical - b.logical);
    expect(stamps.map(({ logical }) => logical)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(stamps.map(({ wall }) => wall)).size).toBe(1);
    expect(stamps.map(({ change }) => [change.key, change.before === null, change.after === null])).toEqual([
      [[storeId, skuB], true, false],
      [[storeId, skuC], true, false],
      [[lotId], true, false],
      [[storeId, skuB], false, false],
      [[storeId, skuC], false, true],
    ]);
    // Kafka keeps order within a partition: there the counters must arrive increasing.
    const keys = new Set([JSON.stringify([storeId, skuB]), JSON.stringify([storeId, skuC]), JSON.stringify([lotId])]);
    const arrivals = collector.messages.filter((message) => message.key !== null && keys.has(message.key));
    for (const topic of ['inventory_levels', 'inventory_lots']) {
      for (const partition of ALL_PARTITIONS) {
        const arrived = arrivals
          .filter((message) => message.topic === topic && message.partition === partition)
          .map((message) => parseHlc((JSON.parse(message.value) as ChangeEnvelope).updated).logical);
        expect(arrived).toEqual([...arrived].sort((a, b) => a - b));
      }
    }
    expect(stamps[2]?.change.after).toMatchObject({ quantity: 9, expires_on: '2027-01-31' });
    expect(stamps[3]?.change.after).toMatchObject({ on_hand: 3 });
  });

  it('relays a commit that arrives right behind a keepalive at once, not at the next resolved tick', async () => {
    // The walsender sends a keepalive for a transaction it skips (no published table), so one that commits together
    // with ours often lands in the same socket read. A commit queued while the drain of that keepalive was ending
    // used to wait for the next tick (seconds); with ticks a minute apart here, such a wait shows as a timeout.
    await startRelay({ resolvedIntervalMs: 60_000 });
    const collector = await collect();
    const startedAt = BigInt(Date.now() - 1000) * 1_000_000n;
    const ours = () => collector.changes('inventory_levels', JSON.stringify([storeId, skuA])).filter(({ updated }) => parseHlc(updated).wall > startedAt);
    await pool.query('INSERT INTO inventory_levels (store_id, sku, on_hand) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [storeId, skuA]);

    for (let round = 1; round <= 40; round++) {
      await Promise.all([
        pool.query('UPDATE stores SET name = name WHERE store_id = $1', [storeId]),
        pool.query('UPDATE inventory_levels SET on_hand = $3 WHERE store_id = $1 AND sku = $2', [storeId, skuA, round]),
      ]);
      await vi.waitFor(() => expect(ours().some(({ after }) => (after as { on_hand?: number } | null)?.on_hand === round)).toBe(true), { timeout: 3000, interval: 20 });
    }
  });

  it('sends the transactions queued behind a slow Kafka send together, not one round trip each', async () => {
    // A walsender that has caught up sends a keepalive after every transaction. A batch that ended at each keepalive
    // made every transaction its own Kafka round trip, so a relay once behind at 1,000 commits/s stayed behind.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sends: string[][] = [];
    const slow: Producer = {
      ...producer,
      sendBatch: async (batch) => {
        const ours = (batch.topicMessages ?? []).flatMap(({ messages }) => messages.map((message) => String(message.key ?? ''))).filter((key) => key.includes(storeId));
        if (ours.length > 0) {
          sends.push(ours);
          if (sends.length === 1) await gate;
        }
        return producer.sendBatch(batch);
      },
    };
    await pool.query('INSERT INTO inventory_levels (store_id, sku, on_hand) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [storeId, skuA]);
    let received = 0n;
    await startRelay({ producer: slow, resolvedIntervalMs: 60_000, onReceived: (lsn) => void (received = maxLsn(received, parseLsn(lsn))) });
    await pool.query('UPDATE inventory_levels SET on_hand = 0 WHERE store_id = $1 AND sku = $2', [storeId, skuA]);
    await vi.waitFor(() => expect(sends).toHaveLength(1), wait);
    for (let n = 1; n <= 10; n++) {
      await pool.query('UPDATE inventory_levels SET on_hand = $3 WHERE store_id = $1 AND sku = $2', [storeId, skuA, n]);
      // Long enough for the walsender to catch up and send its keepalive before the next commit.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const end = await currentWalLsn();
    await vi.waitFor(() => expect(received).toBeGreaterThanOrEqual(end), wait);
    release();
    await vi.waitFor(() => expect(sends.flat()).toHaveLength(11), wait);
    expect(sends.map((keys) => keys.length)).toEqual([1, 10]);
  });

  it('redelivers a transaction Kafka acknowledged but the relay died before confirming', async () => {
    const { relay: crashing, slotName, publicationName, log } = await startRelay({ faults: { crashBeforeAcknowledge: () => true } });
    const collector = await collect();
    const lotId = `${storeId}-lot-crash`;
    const positionBefore = await currentWalLsn();

    await pool.query(`INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on) VALUES ($1, $2, $3, 1, '2027-01-31')`, [
      lotId,
      storeId,
      skuA,
    ]);
    await vi.waitFor(() => expect(collector.changes('inventory_lots', lotId)).toHaveLength(1), wait);
    await vi.waitFor(() => expect(log.last(CRASHED)).toBeGreaterThanOrEqual(0), wait);
    expect(await confirmedFlush(slotName)).toBeLessThanOrEqual(positionBefore);
    await crashing.stop();

    await startRelay({}, { slotName, publicationName });
    await vi.waitFor(() => expect(collector.changes('inventory_lots', lotId)).toHaveLength(2), wait);
    const [first, again] = collector.changes('inventory_lots', lotId);
    expect(again?.raw).toBe(first?.raw);
  });

  it('does not skip a transaction whose commit record directly follows a confirmed one', async () => {
    // The relay confirms `earlier` and dies before confirming `later`, picked by transaction id: other
    // commits and how the changes fall into batches do not move the crash. maxBatchBytes: 1 keeps the two
    // transactions out of one batch, so `earlier` is confirmed on its own.
    let laterXid: number | undefined;
    const offered: { xid: number; lsn: string }[] = [];
    const crashOnLater = {
      crashBeforeAcknowledge: ({ xid, lsn }: { xid: number; lsn: string }) => {
        offered.push({ xid, lsn });
        return xid === laterXid;
      },
    };
    const { relay: crashing, slotName, publicationName, log } = await startRelay({ faults: crashOnLater, maxBatchBytes: 1 });
    const collector = await collect();
    const [earlier, later] = [`${storeId}-lot-adjacent-1`, `${storeId}-lot-adjacent-2`];
    const insertLot = async (client: pg.Pool | pg.PoolClient, lotId: string): Promise<number> => {
      const { rows } = await client.query<{ xid: string }>(
        `INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on) VALUES ($1, $2, $3, 1, '2027-01-31')
         RETURNING pg_current_xact_id()::xid::text AS xid`,
        [lotId, storeId, skuA],
      );
      return Number(rows[0]?.xid);
    };

    // `later` starts first and commits right after `earlier`, so its commit record is usually the very next
    // WAL record: confirming one byte past `earlier` would make Postgres skip `later` on restart.
    let earlierXid: number | undefined;
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      laterXid = await insertLot(slow, later);
      earlierXid = await insertLot(pool, earlier);
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    await vi.waitFor(() => expect(log.last(CRASHED)).toBeGreaterThanOrEqual(0), wait);
    await crashing.stop();
    // Postgres holds `earlier` confirmed and `later` not: the restart has to start right at `later`'s commit.
    const [earlierCommit, laterCommit] = [offered.find(({ xid }) => xid === earlierXid), offered.at(-1)];
    expect(laterCommit?.xid).toBe(laterXid);
    expect(earlierCommit).toBeDefined();
    await vi.waitFor(async () => expect(await confirmedFlush(slotName)).toBeGreaterThanOrEqual(parseLsn(earlierCommit!.lsn)), wait);
    expect(await confirmedFlush(slotName)).toBeLessThan(parseLsn(laterCommit!.lsn));

    await startRelay({}, { slotName, publicationName });
    await vi.waitFor(() => {
      expect(collector.changes('inventory_lots', later).length).toBeGreaterThanOrEqual(2);
      expect(collector.changes('inventory_lots', earlier).length).toBeGreaterThanOrEqual(1);
    }, wait);
    expect(collector.changes('inventory_lots', earlier)).toHaveLength(1);
  });

  it('loses no change across a crash and restart while 500 rows are written concurrently', async () => {
    let batches = 0;
    const { relay: crashing, slotName, publicationName, log } = await startRelay({
      faults: { crashBeforeAcknowledge: () => (batches += 1) === 5 },
      maxBatchBytes: 4096,
    });
    const collector = await collect();
    const lotIds = Array.from({ length: 500 }, (_, i) => `${storeId}-bulk-${String(i).padStart(3, '0')}`);

    // Four writers, transactions of 1 to 7 rows, so commits interleave.
    const writing = Promise.all([0, 1, 2, 3].map(async (writer) => {
      const mine = lotIds.filter((_, i) => i % 4 === writer);
      for (let start = 0, size = 1; start < mine.length; start += size, size = (size % 7) + 1) {
        const chunk = mine.slice(start, start + size);
        await pool.query(
          `INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on)
           SELECT id, $2, $3, 1, '2027-01-31' FROM unnest($1::text[]) AS id`,
          [chunk, storeId, skuC],
        );
      }
    }));
    // Awaited below; a failure meanwhile must not surface as an unhandled rejection.
    writing.catch(() => undefined);
    await vi.waitFor(() => expect(log.last(CRASHED)).toBeGreaterThanOrEqual(0), wait);
    await crashing.stop();
    await startRelay({}, { slotName, publicationName });
    await writing;

    const delivered = () => new Set(collector.changes('inventory_lots', `${storeId}-bulk-`).map((change) => change.key[0]));
    await vi.waitFor(() => expect(delivered().size).toBe(500), { timeout: 45_000, interval: 200 });
    expect([...delivered()].sort()).toEqual(lotIds);
  });

  it('reconnects after the replication connection is killed and carries on from the confirmed position', async () => {
    const { slotName, log } = await startRelay();
    const collector = await collect();
    const lotId = (n: number) => `${storeId}-lot-reconnect-${n}`;
    const insertLot = (n: number) =>
      pool.query(`INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on) VALUES ($1, $2, $3, $4, '2027-01-31')`, [
        lotId(n),
        storeId,
        skuB,
        n,
      ]);
    await insertLot(1);
    await vi.waitFor(() => expect(collector.changes('inventory_lots', lotId(1))).toHaveLength(1), wait);

    const { rows } = await pool.query<{ pid: number }>('SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [slotName]);
    await pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await insertLot(2);
    await vi.waitFor(() => expect(log.lastFailure()).toMatch(/terminat/i), wait);

    await insertLot(3);
    await vi.waitFor(() => {
      expect(collector.changes('inventory_lots', lotId(2)).length).toBeGreaterThanOrEqual(1);
      expect(collector.changes('inventory_lots', lotId(3)).length).toBeGreaterThanOrEqual(1);
    }, wait);
    await vi.waitFor(async () => expect((await getSlotLag(db(), slotName))?.active).toBe(true), wait);
    expect(log.streaming()).toBe(true);
  });

  it('reconnects after a Kafka send fails, redelivering the transaction it was sending', async () => {
    let failures = 0;
    const flaky: Producer = {
      ...producer,
      sendBatch: async (batch) => {
        if (batch.topicMessages?.some(({ messages }) => messages.some((message) => message.key?.includes('-lot-flaky'))) && failures === 0) {
          failures += 1;
          throw new KafkaJSError('injected broker failure');
        }
        return producer.sendBatch(batch);
      },
    };
    const { relay, log } = await startRelay({ producer: flaky });
    const collector = await collect();
    const lotId = `${storeId}-lot-flaky`;
    await pool.query(`INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on) VALUES ($1, $2, $3, 1, '2027-01-31')`, [
      lotId,
      storeId,
      skuB,
    ]);
    await vi.waitFor(() => expect(collector.changes('inventory_lots', lotId)).toHaveLength(1), wait);
    expect(failures).toBe(1);
    await vi.waitFor(() => {
      expect(log.streaming()).toBe(true);
      expect(relay.status().messagesProduced).toBe(1);
    }, wait);
  });

  it('creates every table topic and its dead-letter topic with the default partition count', async () => {
    await startRelay();
    const { topics } = await admin.fetchTopicMetadata({
      topics: ['inventory_levels', 'inventory_lots', 'inventory_levels.dlq', 'inventory_lots.dlq'],
    });
    expect(topics.map(({ name, partitions }) => [name, partitions.length]).sort()).toEqual([
      ['inventory_levels', DEFAULT_TOPIC_PARTITIONS],
      ['inventory_levels.dlq', DEFAULT_TOPIC_PARTITIONS],
      ['inventory_lots', DEFAULT_TOPIC_PARTITIONS],
      ['inventory_lots.dlq', DEFAULT_TOPIC_PARTITIONS],
    ]);
  });

  it('produces resolved timestamps on every partition of every table topic, advancing while idle', async () => {
    const startedAt = BigInt(Date.now()) * 1_000_000n;
    const { relay, slotName } = await startRelay();
    const collector = await collect();
    await pool.query(`INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on) VALUES ($1, $2, $3, 1, '2027-01-31')`, [
      `${storeId}-lot-resolved`,
      storeId,
      skuA,
    ]);
    await vi.waitFor(() => expect(collector.changes('inventory_lots', `${storeId}-lot-resolved`)).toHaveLength(1), wait);
    const committed = parseHlc(collector.changes('inventory_lots', `${storeId}-lot-resolved`)[0]?.updated ?? '').wall;

    const ours = (topic: string) => collector.resolved(topic).filter(({ resolved }) => parseHlc(resolved).wall >= startedAt);
    for (const topic of ['inventory_levels', 'inventory_lots']) {
      await vi.waitFor(() => {
        const later = ours(topic).filter(({ resolved }) => parseHlc(resolved).wall > committed + 1_000_000_000n);
        expect(new Set(later.map(({ partition }) => partition))).toEqual(new Set(ALL_PARTITIONS));
      }, wait);
      expect(ours(topic).every(({ key }) => key === null)).toBe(true);
      for (const partition of ALL_PARTITIONS) {
        const walls = ours(topic)
          .filter((message) => message.partition === partition)
          .map(({ resolved }) => parseHlc(resolved).wall);
        expect(walls).toEqual([...walls].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }
    }
    expect((await getSlotLag(db(), slotName))?.active).toBe(true);
    expect(relay.status().lastResolved).toMatch(/^\d+\.\d{10}$/);
  });

  it('reports slot lag, which drops to about zero once the relay has caught up', async () => {
    expect(await getSlotLag(db(), `cdc_test_${runId}_missing`)).toBeNull();
    const { relay, slotName, publicationName } = await startRelay();
    await relay.stop();

    await pool.query(
      `INSERT INTO inventory_lots (lot_id, store_id, sku, quantity, expires_on)
       SELECT $1 || g, $2, $3, 1, '2027-01-31' FROM generate_series(1, 300) AS g`,
      [`${storeId}-lag-`, storeId, skuB],
    );
    await vi.waitFor(async () => expect((await getSlotLag(db(), slotName))?.active).toBe(false), wait);
    const behind = await getSlotLag(db(), slotName);
    expect(behind?.lagBytes).toBeGreaterThan(10_000);

    await startRelay({}, { slotName, publicationName });
    await vi.waitFor(async () => {
      const lag = await getSlotLag(db(), slotName);
      expect(lag).toMatchObject({ slotName, active: true });
      expect(lag?.confirmedFlushLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      expect(lag?.lagBytes).toBeLessThan(1024);
    }, wait);
    // The resumed relay confirmed past where the stopped one had.
    expect(parseLsn((await getSlotLag(db(), slotName))?.confirmedFlushLsn ?? '0/0')).toBeGreaterThan(parseLsn(behind?.confirmedFlushLsn ?? '0/0'));
  });
});
