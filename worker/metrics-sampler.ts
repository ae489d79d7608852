import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import type { PrismaClient } from '../server/db/generated/client.ts';
import { metrics as dashopsMetrics, type DashOpsMetrics } from '../server/metrics/registry.ts';
import { hlcToMillis, parseHlc } from '../server/stream/envelope.ts';
import { SAMPLE_INTERVAL_MS } from '../server/stream/pipeline-health.ts';
import { getSlotLag } from '../server/stream/slot-lag.ts';
import { changefeedTables, topicFor, type ChangefeedTable } from '../server/stream/tables.ts';
import type { CdcRelayStatus } from './cdc/relay.ts';
import { consumerLag } from './pipeline-sampler.ts';
import { startPeriodic } from './periodic.ts';

/** Applied and failed stream messages are counted over this window. */
export const STREAM_RECENT_MS = 5 * 60 * 1000;
const DEFAULT_INTERVAL_MS = 15_000;

export interface MetricsSamplerOptions {
  db: PrismaClient;
  /** The shared, connected kafkajs admin (server/kafka/client.ts `kafkaAdmin`). */
  admin: () => Promise<Admin>;
  log: Logger;
  /** The CDC relay's replication slot; null when the relay is off everywhere (CDC_RELAY=off). */
  slotName: string | null;
  /** Consumer groups are `${groupPrefix}.${table}`, as the Kafka processors name them. */
  groupPrefix: string;
  /** This process's relay, if it runs one: its produced rows and confirmed position. */
  relayStatus?: () => CdcRelayStatus | undefined;
  tables?: readonly ChangefeedTable[];
  /** Prepended to each table's topic, as the processors' own option (tests). */
  topicPrefix?: string;
  intervalMs?: number;
  clock?: () => Date;
  metrics?: DashOpsMetrics;
}

export interface MetricsSampler {
  /** Reads everything once now; throws what failed (each failure is also logged and counted). */
  sampleNow(): Promise<void>;
  /** Stops the interval and waits for a sample in flight. Idempotent. */
  stop(): Promise<void>;
}

/** The relay's confirmed position's age: now minus the wall time of its last resolved timestamp; null before one. */
export function confirmedAgeSeconds(status: Pick<CdcRelayStatus, 'lastResolved'>, now: Date): number | null {
  if (status.lastResolved === null) return null;
  return Math.max(0, (now.getTime() - hlcToMillis(parseHlc(status.lastResolved))) / 1000);
}

/**
 * Sets the worker's sampled gauges on an interval: slot lag (Postgres), consumer lag per partition (Kafka),
 * queued/applied/failed stream messages (the database: the queue from the /pipeline sampler's newest sample, so the
 * queue is scanned once, not twice), and this process's relay rows and confirmed age. Every replica samples the same
 * facts; the alert rules take the max across them. A reading that fails leaves its gauges absent rather than stale.
 */
export function startMetricsSampler(options: MetricsSamplerOptions): MetricsSampler {
  const m = options.metrics ?? dashopsMetrics();
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const clock = options.clock ?? (() => new Date());
  const tables = options.tables ?? (Object.keys(changefeedTables) as ChangefeedTable[]);
  const log = options.log.child({ component: 'metrics-sampler' });
  const { db } = options;
  let relayProduced = 0;
  /** The partitions whose lag gauge is set, per topic: removed again when a reading fails. */
  const lagPartitions = new Map<string, Set<string>>();

  const readRelay = (now: Date) => {
    const status = options.relayStatus?.();
    if (!status) return;
    // A relay that restarted in this process counts from zero again.
    const delta = status.messagesProduced >= relayProduced ? status.messagesProduced - relayProduced : status.messagesProduced;
    relayProduced = status.messagesProduced;
    if (delta > 0) m.relayRows.inc(delta);
    const age = confirmedAgeSeconds(status, now);
    if (age === null) m.relayConfirmedAgeSeconds.remove({ slot: status.slotName });
    else m.relayConfirmedAgeSeconds.set({ slot: status.slotName }, age);
  };

  const readSlot = async () => {
    if (options.slotName === null) return;
    const slot = await getSlotLag(db, options.slotName).catch((err: unknown) => {
      m.relaySlotLagBytes.remove({ slot: options.slotName! });
      throw err;
    });
    if (slot) m.relaySlotLagBytes.set({ slot: slot.slotName }, slot.lagBytes);
    else m.relaySlotLagBytes.remove({ slot: options.slotName });
  };

  const readConsumerLag = async (table: ChangefeedTable) => {
    const topic = `${options.topicPrefix ?? ''}${topicFor(table)}`;
    try {
      const admin = await options.admin();
      const [topicOffsets, groupOffsets] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: `${options.groupPrefix}.${table}`, topics: [topic] }),
      ]);
      const lag = consumerLag(topicOffsets, groupOffsets.find((entry) => entry.topic === topic)?.partitions ?? []);
      const partitions = new Set(lag.partitions.map(({ partition }) => String(partition)));
      for (const partition of lagPartitions.get(topic) ?? []) if (!partitions.has(partition)) m.consumerLagMessages.remove({ table, topic, partition });
      lagPartitions.set(topic, partitions);
      for (const { partition, lag: behind } of lag.partitions) m.consumerLagMessages.set({ table, topic, partition: String(partition) }, behind);
    } catch (err) {
      for (const partition of lagPartitions.get(topic) ?? []) m.consumerLagMessages.remove({ table, topic, partition });
      lagPartitions.delete(topic);
      throw err;
    }
  };

  const readStreamQueue = async (table: ChangefeedTable, now: Date) => {
    const sample = await db.pipelineSample.findFirst({
      where: { tableName: table },
      orderBy: { sampledAt: 'desc' },
      select: { sampledAt: true, streamQueued: true, streamQueuedOldestAt: true },
    });
    // As the page calls a sample stale: the sampler stopped, so its queue says nothing about now.
    if (!sample || sample.streamQueued === null || now.getTime() - sample.sampledAt.getTime() > 3 * SAMPLE_INTERVAL_MS) {
      m.streamQueuedMessages.remove({ table });
      m.streamQueuedOldestAgeSeconds.remove({ table });
      return;
    }
    m.streamQueuedMessages.set({ table }, sample.streamQueued);
    const oldestMs = sample.streamQueued > 0 && sample.streamQueuedOldestAt ? now.getTime() - sample.streamQueuedOldestAt.getTime() : 0;
    m.streamQueuedOldestAgeSeconds.set({ table }, Math.max(0, oldestMs) / 1000);
  };

  const readStreamResults = async (now: Date) => {
    const since = new Date(now.getTime() - STREAM_RECENT_MS);
    const [applied, failed] = await Promise.all([
      db.$queryRaw<{ table_name: string | null; n: number }[]>`
        SELECT table_name, count(*)::int AS n FROM stream_applied WHERE applied_at > ${since} GROUP BY table_name`,
      db.$queryRaw<{ table_name: string | null; n: number }[]>`
        SELECT table_name, count(*)::int AS n FROM dead_letters WHERE stage = 'workflow' AND created_at > ${since} GROUP BY table_name`,
    ]);
    const countOf = (rows: { table_name: string | null; n: number }[], table: string) => rows.find((row) => row.table_name === table)?.n ?? 0;
    for (const table of tables) {
      m.streamAppliedMessages.set({ table }, countOf(applied, table));
      m.streamFailedMessages.set({ table }, countOf(failed, table));
    }
  };

  const counted = async (reading: string, read: () => Promise<void> | void) => {
    try {
      await read();
    } catch (err) {
      m.sampleFailures.inc({ reading });
      log.warn({ err, reading }, 'metric reading failed; its gauges are absent until the next sample');
      throw err;
    }
  };

  const sampleNow = async () => {
    const now = clock();
    const results = await Promise.allSettled([
      counted('relay', () => readRelay(now)),
      counted('slot_lag', readSlot),
      ...tables.map((table) => counted('consumer_lag', () => readConsumerLag(table))),
      ...tables.map((table) => counted('stream_queue', () => readStreamQueue(table, now))),
      counted('stream_results', () => readStreamResults(now)),
    ]);
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason as unknown), 'some metric readings failed');
  };

  // Each failure was logged and counted where it happened.
  return startPeriodic(sampleNow, intervalMs, () => undefined);
}
