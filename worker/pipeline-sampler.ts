import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import type { PrismaClient } from '../server/db/generated/client.ts';
import { readHorizon } from '../server/stream/retention.ts';
import { getSlotLag } from '../server/stream/slot-lag.ts';
import { queueScanFrom, readStreamQueue } from '../server/stream/stream-queue.ts';
import { changefeedTables, topicFor, type ChangefeedTable } from '../server/stream/tables.ts';
import { startPeriodic } from './periodic.ts';

export interface PartitionLag {
  partition: number;
  lag: number;
}

/** `admin.fetchTopicOffsets(topic)`: per partition, the low and high watermarks (offsets as decimal strings). */
export interface TopicPartitionOffsets {
  partition: number;
  high: string;
  low: string;
}

/** `admin.fetchOffsets({ groupId, topics })[n].partitions`: the group's committed offset, `-1` when none. */
export interface CommittedOffset {
  partition: number;
  offset: string;
}

/**
 * A consumer group's lag per partition: the high watermark minus the committed offset. A partition the group
 * has never committed on lags by everything it still holds (high − low); a committed offset behind the low
 * watermark (retention deleted what it had not read) lags by the same.
 */
export function consumerLag(topicOffsets: readonly TopicPartitionOffsets[], committed: readonly CommittedOffset[]): { total: number; partitions: PartitionLag[] } {
  const committedBy = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  const partitions = [...topicOffsets]
    .sort((a, b) => a.partition - b.partition)
    .map(({ partition, high, low }): PartitionLag => {
      const highWater = BigInt(high);
      const lowWater = BigInt(low);
      const offset = committedBy.get(partition) ?? -1n;
      const from = offset < 0n || offset < lowWater ? lowWater : offset;
      const lag = highWater > from ? highWater - from : 0n;
      return { partition, lag: Number(lag) };
    });
  return { total: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
}

/** Messages per second over a window, rounded to hundredths; 0 for an empty or inverted window. */
export function ratePerSecond(count: number, fromMs: number, toMs: number): number {
  const seconds = (toMs - fromMs) / 1000;
  if (!(seconds > 0)) return 0;
  return Math.round((count / seconds) * 100) / 100;
}

/**
 * Where this sample's window starts: the previous sample of the table, if it is recent enough to be the one
 * before this tick (another replica's counts); otherwise one interval back, so a restart after a long gap does
 * not pour hours of dead letters into one sample.
 */
export function windowStart(previous: Date | null, now: Date, intervalMs: number): Date {
  const fallback = new Date(now.getTime() - intervalMs);
  if (!previous || previous.getTime() >= now.getTime() || now.getTime() - previous.getTime() > 3 * intervalMs) return fallback;
  return previous;
}

/** Sum of the approximate backlogs Temporal reports for a task queue's types; null when it reports no stats at all. */
export function taskQueueBacklog(stats: readonly ({ approximateBacklogCount?: { toNumber(): number } | number | null } | null | undefined)[]): number | null {
  const reported = stats.filter((s): s is NonNullable<typeof s> => s != null);
  if (reported.length === 0) return null;
  return reported.reduce((sum, s) => {
    const count = s.approximateBacklogCount;
    return sum + (count == null ? 0 : typeof count === 'number' ? count : count.toNumber());
  }, 0);
}

export interface PipelineSamplerOptions {
  db: PrismaClient;
  /** The shared, connected kafkajs admin (server/kafka/client.ts `kafkaAdmin`). */
  admin: () => Promise<Admin>;
  temporal: Client;
  log: Logger;
  /** The CDC relay's replication slot; null when the relay is off (CDC_RELAY=off): no slot lag is recorded. */
  slotName: string | null;
  /** Consumer groups are `${groupPrefix}.${table}`, as the Kafka processors name them. */
  groupPrefix: string;
  /** The stream-processing task queue whose backlog is recorded. */
  taskQueue: string;
  namespace: string;
  tables?: readonly ChangefeedTable[];
  /** Prepended to each table's topic, as the processors' own option (tests). */
  topicPrefix?: string;
  intervalMs?: number;
  /** Samples older than this are deleted. */
  retainMs?: number;
  clock?: () => Date;
}

export interface PipelineSampler {
  /** Takes one sample of every table now; throws what failed (the interval logs it instead). */
  sampleNow(): Promise<void>;
  /** Stops the interval and waits for a sample in flight. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_INTERVAL_MS = 10_000;
// temporal.api.enums.v1 values; @temporalio/proto is CommonJS and not a direct dependency.
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;
const TASK_QUEUE_KIND_NORMAL = 1;
const DEFAULT_RETAIN_MS = 24 * 60 * 60 * 1000;

/**
 * Writes one pipeline_samples row per changefeed table every interval: slot lag, consumer lag per partition,
 * messages/s (distinct offsets with a change outcome), the stream task queue's backlog, new dead letters, and the
 * messages queued in stream workflows (server/stream/stream-queue.ts, scanned on from the previous sample, however
 * long ago the oldest was signalled).
 * The counts come from the database, so they are the same whichever replica samples; a replica that finds a
 * table sampled within the last half interval leaves it to the other. A failed tick is logged, never thrown.
 */
export function startPipelineSampler(options: PipelineSamplerOptions): PipelineSampler {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
  const clock = options.clock ?? (() => new Date());
  const tables = options.tables ?? (Object.keys(changefeedTables) as ChangefeedTable[]);
  const log = options.log.child({ component: 'pipeline-sampler' });
  const { db } = options;

  const sharedReadings = async () => {
    const [slot, backlog, outcomesHorizon] = await Promise.all([
      options.slotName === null
        ? Promise.resolve(null)
        : getSlotLag(db, options.slotName).catch((err: unknown) => {
            log.warn({ err }, 'slot lag not read; sampling without it');
            return null;
          }),
      readBacklog().catch((err: unknown) => {
        log.warn({ err, taskQueue: options.taskQueue }, 'task queue backlog not read; sampling without it');
        return null;
      }),
      readHorizon(db, 'change_outcomes'),
    ]);
    return {
      slotLagBytes: slot ? BigInt(Math.round(slot.lagBytes)) : null,
      workflowBacklog: backlog,
      outcomesHorizon: outcomesHorizon?.expiredBefore ?? null,
    };
  };

  const readBacklog = async (): Promise<number | null> => {
    const types = [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY];
    const responses = await Promise.all(
      types.map((taskQueueType) =>
        options.temporal.workflowService.describeTaskQueue({
          namespace: options.namespace,
          taskQueue: { name: options.taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
          taskQueueType,
          reportStats: true,
        }),
      ),
    );
    return taskQueueBacklog(responses.map((response) => response.stats));
  };

  const sampleTable = async (table: ChangefeedTable, shared: Awaited<ReturnType<typeof sharedReadings>>, now: Date) => {
    const previous = await db.pipelineSample.findFirst({
      where: { tableName: table },
      orderBy: { sampledAt: 'desc' },
      select: { sampledAt: true, streamQueued: true, streamQueuedOldestAt: true },
    });
    if (previous && now.getTime() - previous.sampledAt.getTime() < intervalMs / 2) return;
    const since = windowStart(previous?.sampledAt ?? null, now, intervalMs);

    const topic = `${options.topicPrefix ?? ''}${topicFor(table)}`;
    const admin = await options.admin();
    const [topicOffsets, groupOffsets] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: `${options.groupPrefix}.${table}`, topics: [topic] }),
    ]);
    const lag = consumerLag(topicOffsets, groupOffsets.find((entry) => entry.topic === topic)?.partitions ?? []);

    const [[messages], deadLetters, queue] = await Promise.all([
      db.$queryRaw<{ n: number }[]>`
        SELECT count(DISTINCT (partition, "offset"))::int AS n
        FROM change_outcomes
        WHERE table_name = ${table} AND topic = ${topic} AND created_at > ${since} AND created_at <= ${now}`,
      db.deadLetter.count({ where: { tableName: table, topic, createdAt: { gt: since, lte: now } } }),
      readStreamQueue(db, { table, topic, from: queueScanFrom(previous, now, shared.outcomesHorizon) }),
    ]);

    await db.pipelineSample.create({
      data: {
        tableName: table,
        sampledAt: now,
        slotLagBytes: shared.slotLagBytes,
        consumerLag: BigInt(lag.total),
        partitionLag: lag.partitions.map((p) => ({ partition: p.partition, lag: p.lag })),
        messagesPerSecond: ratePerSecond(messages?.n ?? 0, since.getTime(), now.getTime()),
        workflowBacklog: shared.workflowBacklog,
        deadLetters,
        streamQueued: queue.queued,
        streamQueuedOldestAt: queue.oldestAt,
      },
    });
  };

  const sampleNow = async () => {
    const now = clock();
    const shared = await sharedReadings();
    const results = await Promise.allSettled(tables.map((table) => sampleTable(table, shared, now)));
    await db.pipelineSample.deleteMany({ where: { sampledAt: { lt: new Date(now.getTime() - retainMs) } } });
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason as unknown), 'pipeline sample failed for some tables');
  };

  return startPeriodic(sampleNow, intervalMs, (err: unknown) => log.error({ err }, 'pipeline sample failed; retrying next tick'));
}
