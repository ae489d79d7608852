import type { PrismaClient } from '../db/generated/client.ts';
import { getSlotLag, slotHealth, type SlotHealth } from './slot-lag.ts';
import { changefeedTables, type ChangefeedTable } from './tables.ts';

/** What the worker's sampler (worker/pipeline-sampler.ts) records, as the console reads it. */
export interface SampleRow {
  tableName: string;
  sampledAt: Date;
  slotLagBytes: bigint | null;
  consumerLag: bigint;
  partitionLag: unknown;
  messagesPerSecond: number;
  workflowBacklog: number | null;
  deadLetters: number;
  streamQueued: number | null;
  streamQueuedOldestAt: Date | null;
}

/** One point of a chart: a bucket of samples. Maxima for lags and backlog, mean rate, dead letters per minute. */
export interface PipelinePoint {
  /** Start of the bucket, ms since epoch. */
  t: number;
  slotLagBytes: number | null;
  consumerLag: number;
  messagesPerSecond: number;
  workflowBacklog: number | null;
  deadLettersPerMinute: number;
  /** Messages queued in stream workflows (max over the bucket); null before the sampler measured it. */
  streamQueued: number | null;
}

export interface PipelineLatest {
  sampledAt: string;
  slotLagBytes: number | null;
  consumerLag: number;
  partitions: { partition: number; lag: number }[];
  messagesPerSecond: number;
  workflowBacklog: number | null;
  /** Dead letters recorded for the table over the whole window. */
  deadLettersInWindow: number;
  /** Messages queued in stream workflows at the newest sample; null when that sample did not measure it. */
  streamQueue: StreamQueueLatest | null;
}

export interface StreamQueueLatest {
  queued: number;
  oldestAt: string | null;
  /** How long the oldest has been queued, as of the page's answer (it keeps growing while samples stop). */
  oldestAgeMs: number | null;
  level: 'ok' | 'warn' | 'error';
}

export interface TableHealth {
  table: ChangefeedTable;
  latest: PipelineLatest | null;
  /** The newest sample is older than three sample intervals: the worker (or its sampler) is not sampling. */
  stale: boolean;
  series: PipelinePoint[];
}

export interface PipelineHealth {
  generatedAt: string;
  windowMinutes: number;
  bucketSeconds: number;
  sampleIntervalSeconds: number;
  /** The relay's replication slot, read live. */
  slot: SlotHealth;
  tables: TableHealth[];
}

export const WINDOW_MS = 60 * 60 * 1000;
export const BUCKET_MS = 30 * 1000;
export const SAMPLE_INTERVAL_MS = 10 * 1000;
/**
 * A stream message normally applies within seconds; a batch activity's retries (up to ten, backing off to 30 s)
 * can hold one for a few minutes before it is dead-lettered. Older than that, it is stuck.
 */
export const QUEUE_AGE_WARN_MS = 60 * 1000;
export const QUEUE_AGE_ERROR_MS = 5 * 60 * 1000;

/** The newest sample's queue, aged to `now`. */
export function streamQueueLatest(sample: Pick<SampleRow, 'streamQueued' | 'streamQueuedOldestAt'>, now: Date): StreamQueueLatest | null {
  if (sample.streamQueued === null) return null;
  const oldestAgeMs = sample.streamQueuedOldestAt ? Math.max(0, now.getTime() - sample.streamQueuedOldestAt.getTime()) : null;
  const level = oldestAgeMs === null || sample.streamQueued === 0 ? 'ok' : oldestAgeMs >= QUEUE_AGE_ERROR_MS ? 'error' : oldestAgeMs >= QUEUE_AGE_WARN_MS ? 'warn' : 'ok';
  return { queued: sample.streamQueued, oldestAt: sample.streamQueuedOldestAt?.toISOString() ?? null, oldestAgeMs, level };
}

/** A sample's `partition_lag` JSON, tolerating anything malformed rather than failing the page. */
export function parsePartitionLag(value: unknown): { partition: number; lag: number }[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((entry): entry is { partition: number; lag: number } => {
      if (!entry || typeof entry !== 'object') return false;
      const { partition, lag } = entry as Record<string, unknown>;
      return typeof partition === 'number' && typeof lag === 'number';
    })
    .map(({ partition, lag }) => ({ partition, lag }))
    .sort((a, b) => a.partition - b.partition);
}

const maxOrNull = (values: (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.max(...present);
};

/**
 * Groups samples (oldest first) into fixed buckets aligned to the epoch. Several samples land in one bucket
 * at the default 10 s sampling (or with more than one worker replica sampling).
 */
export function bucketSamples(samples: readonly SampleRow[], bucketMs: number): PipelinePoint[] {
  const buckets = new Map<number, SampleRow[]>();
  for (const sample of samples) {
    const t = Math.floor(sample.sampledAt.getTime() / bucketMs) * bucketMs;
    const bucket = buckets.get(t);
    if (bucket) bucket.push(sample);
    else buckets.set(t, [sample]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, rows]): PipelinePoint => {
      const rate = rows.reduce((sum, r) => sum + r.messagesPerSecond, 0) / rows.length;
      const deadLetters = rows.reduce((sum, r) => sum + r.deadLetters, 0);
      return {
        t,
        slotLagBytes: maxOrNull(rows.map((r) => (r.slotLagBytes === null ? null : Number(r.slotLagBytes)))),
        consumerLag: Math.max(...rows.map((r) => Number(r.consumerLag))),
        messagesPerSecond: Math.round(rate * 100) / 100,
        workflowBacklog: maxOrNull(rows.map((r) => r.workflowBacklog)),
        deadLettersPerMinute: Math.round(((deadLetters * 60_000) / bucketMs) * 100) / 100,
        streamQueued: maxOrNull(rows.map((r) => r.streamQueued)),
      };
    });
}

/** One table's card: its newest sample, staleness, and the bucketed series (samples oldest first). */
export function tableHealth(table: ChangefeedTable, samples: readonly SampleRow[], now: Date): TableHealth {
  const newest = samples.at(-1);
  if (!newest) return { table, latest: null, stale: false, series: [] };
  return {
    table,
    latest: {
      sampledAt: newest.sampledAt.toISOString(),
      slotLagBytes: newest.slotLagBytes === null ? null : Number(newest.slotLagBytes),
      consumerLag: Number(newest.consumerLag),
      partitions: parsePartitionLag(newest.partitionLag),
      messagesPerSecond: newest.messagesPerSecond,
      workflowBacklog: newest.workflowBacklog,
      deadLettersInWindow: samples.reduce((sum, s) => sum + s.deadLetters, 0),
      streamQueue: streamQueueLatest(newest, now),
    },
    stale: now.getTime() - newest.sampledAt.getTime() > 3 * SAMPLE_INTERVAL_MS,
    series: bucketSamples(samples, BUCKET_MS),
  };
}

/**
 * The last hour of pipeline samples for every changefeed table (server/stream/tables.ts), and the relay slot's state
 * read now. `slotName` is null where no relay runs (CDC_RELAY=off).
 */
export async function getPipelineHealth(db: PrismaClient, { slotName }: { slotName: string | null }, now: Date = new Date()): Promise<PipelineHealth> {
  const tables = Object.keys(changefeedTables) as ChangefeedTable[];
  const [slot, samples] = await Promise.all([
    slotName === null ? null : getSlotLag(db, slotName),
    db.pipelineSample.findMany({
      where: { tableName: { in: tables }, sampledAt: { gt: new Date(now.getTime() - WINDOW_MS) } },
      orderBy: { sampledAt: 'asc' },
      select: {
        tableName: true,
        sampledAt: true,
        slotLagBytes: true,
        consumerLag: true,
        partitionLag: true,
        messagesPerSecond: true,
        workflowBacklog: true,
        deadLetters: true,
        streamQueued: true,
        streamQueuedOldestAt: true,
      },
    }),
  ]);
  return {
    generatedAt: now.toISOString(),
    windowMinutes: WINDOW_MS / 60_000,
    bucketSeconds: BUCKET_MS / 1000,
    sampleIntervalSeconds: SAMPLE_INTERVAL_MS / 1000,
    slot: slotHealth(slotName, slot),
    tables: tables.map((table) =>
      tableHealth(
        table,
        samples.filter((s) => s.tableName === table),
        now,
      ),
    ),
  };
}
