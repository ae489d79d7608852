import type { Client } from '@temporalio/client';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { PrismaClient } from '../../server/db/generated/client.ts';
import type { SqlClient } from '../../server/db/sql.ts';
import { recordDeadLetter } from '../../server/stream/dead-letter-record.ts';
import { decodeMessage, DEFAULT_MAX_FUTURE_SKEW_MS } from '../../server/stream/decode.ts';
import type { AnyChange } from '../../server/stream/sub-processor.ts';
import { ProcessorMetrics, type MetricsSnapshot } from '../../server/stream/metrics.ts';
import { createMissingTopics } from '../../server/kafka/topics.ts';
import { createOffsetCommitter, type OffsetCommitter } from './offset-committer.ts';
import { countProcessorOutcome } from '../../server/metrics/registry.ts';
import { createSignalCoalescer, type SendStreamSignal } from '../../server/stream/signal-coalescer.ts';
import { planSubProcessorBatch, subProcessorsFor, type RunOptions, type SubProcessorRegistry } from '../../server/stream/run-sub-processor.ts';
import { changefeedTables, DEFAULT_TOPIC_PARTITIONS, dlqTopicFor, topicFor, type ChangefeedTable } from '../../server/stream/tables.ts';
import { readWatermarksOf, settleOutcomes } from '../../server/stream/watermarks.ts';

/** Small enough that a chunk's statements stay quick and its offsets commit often; large enough to amortise them. */
const DEFAULT_CHUNK_SIZE = 500;
/**
 * A crashed replica's partitions move to the others after the session timeout: 15 s instead of kafkajs' 30 s halves
 * that stall, and still leaves room for a slow chunk (the handler heartbeats between chunks and between retries).
 * kafkajs heartbeats only between fetches, so an idle long poll is kept to 500 ms (its default 5 s delays rebalances).
 */
const DEFAULT_CONSUMER_CONFIG = { sessionTimeout: 15_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 500 } as const;
/** Every partition a process owns is worked at once (kafkajs caps it at the partitions assigned). */
const DEFAULT_PARTITIONS_CONCURRENTLY = 16;
/** Processed offsets reach Kafka in one commit per consumer at most this often (worker/processor/offset-committer.ts). */
const DEFAULT_COMMIT_LINGER_MS = 100;
/** A few ms: the partitions of one fetch reach their signals within that of each other, and a change waits no longer. */
export const DEFAULT_SIGNAL_LINGER_MS = 3;

export interface KafkaProcessorOptions {
  kafka: Kafka;
  /** Used for the dead-letter topics; owned (connected, disconnected) by the caller. */
  producer: Producer;
  db: PrismaClient;
  /** Where the hot statements (watermarks, outcomes) run: a `pg` pool in the worker; `db` if absent. */
  sql?: SqlClient;
  temporal: Client;
  /** server/stream/registry.ts's `subProcessorsByTable` in the worker; tests pass their own. */
  registry: SubProcessorRegistry;
  log: Logger;
  /** Each table gets the consumer group `${groupPrefix}.${table}`. */
  groupPrefix?: string;
  /** Where a new group starts. Later starts resume from the group's committed offsets either way. */
  fromBeginning?: boolean;
  /** Which tables to consume; all changefeed tables by default. */
  tables?: readonly ChangefeedTable[];
  /** Prepended to each table's topic (and so to its DLQ topic), so tests can use their own topics. */
  topicPrefix?: string;
  /** Backoff policy per sub-processor and change. */
  retry?: Pick<RunOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>;
  /** Partitions of one topic processed in parallel; order within a partition (and so per key) is kept. */
  partitionsConsumedConcurrently?: number;
  /** Messages worked (and committed) together within a fetched batch. */
  chunkSize?: number;
  /** An `updated` further ahead of this clock is dead-lettered; a watermark further ahead is overwritten. */
  maxFutureSkewMs?: number;
  /** The stream workflows' task queue; tests run their own worker. */
  taskQueue?: string;
  /**
   * How long a stream signal waits for the other partitions' signals to the same workflow, to go as one
   * (server/stream/signal-coalescer.ts). Default DEFAULT_SIGNAL_LINGER_MS.
   */
  signalLingerMs?: number;
  /** How often the structured metrics summary is logged. */
  summaryIntervalMs?: number;
  /** Create each topic and its `.dlq` if missing. Off where topics are provisioned separately. */
  ensureTopics?: boolean;
  /** Partitions of topics it creates; existing topics keep theirs. Default DEFAULT_TOPIC_PARTITIONS, as the CDC relay creates them. */
  partitions?: number;
  /** How long processed offsets wait to be committed together. Default DEFAULT_COMMIT_LINGER_MS. */
  commitLingerMs?: number;
  /** Passed to every kafkajs consumer (e.g. a short `maxWaitTimeInMs` in tests). */
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
}

export interface KafkaProcessors {
  consumers: { table: ChangefeedTable; topic: string; groupId: string }[];
  metrics(): MetricsSnapshot;
  /** Lets in-flight messages finish, commits, and leaves the groups. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The general processor: one consumer group per table topic, fanning each change out to the table's
 * sub-processors, a fetched batch at a time.
 *
 * Partitions are worked concurrently, and each partition's messages in offset order, so per-key order holds (a
 * key always lands on the same partition). A handler throws only when something could not be made durable (the
 * database is down, Temporal unreachable, or the dead letter could not be recorded); kafkajs then restarts
 * from the last committed offset. Nothing is skipped silently, and the watermarks turn the repeat work into
 * duplicates. A malformed message, or a change a sub-processor gave up on, is dead-lettered and the partition
 * moves on.
 */
export async function startKafkaProcessors(options: KafkaProcessorOptions): Promise<KafkaProcessors> {
  const { kafka, producer, db, temporal, registry, groupPrefix = 'dashops-processor', fromBeginning = true, topicPrefix = '' } = options;
  const tables = options.tables ?? (Object.keys(changefeedTables) as ChangefeedTable[]);
  const log = options.log.child({ component: 'kafka-processor' });
  const metrics = new ProcessorMetrics();
  const plans = tables.map((table) => ({ table, topic: `${topicPrefix}${topicFor(table)}`, groupId: `${groupPrefix}.${table}` }));

  if (options.ensureTopics ?? true) await ensureTopics(kafka, plans.flatMap(({ topic }) => [topic, dlqTopicFor(topic)]), options.partitions ?? DEFAULT_TOPIC_PARTITIONS);

  const consumers: Consumer[] = [];
  const committers: OffsetCommitter[] = [];
  /** Once stopping, each chunk's offset is committed as soon as it is durable, so a graceful stop redelivers nothing. */
  const stopping = { now: false };
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      clearInterval(summary);
      stopping.now = true;
      await Promise.all(committers.map((committer) => committer.flush()));
      const results = await Promise.allSettled(consumers.map((consumer) => consumer.disconnect()));
      log.info({ metrics: metrics.snapshot() }, 'kafka processors stopped');
      const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason as unknown), 'some Kafka consumers did not disconnect cleanly');
    })();
    return stopped;
  };
  const summary = setInterval(() => {
    const snapshot = metrics.snapshot();
    const busy = snapshot.topics.some((topic) => topic.messagesPerSecond > 0 || topic.lag.total > 0);
    log[busy ? 'info' : 'debug']({ metrics: snapshot }, 'kafka processor summary');
  }, options.summaryIntervalMs ?? 30_000);
  summary.unref();

  try {
    for (const plan of plans) {
      const consumer = kafka.consumer({ ...DEFAULT_CONSUMER_CONFIG, ...options.consumerConfig, groupId: plan.groupId });
      consumers.push(consumer);
      const committer = createOffsetCommitter((offsets) => consumer.commitOffsets(offsets), { lingerMs: options.commitLingerMs ?? DEFAULT_COMMIT_LINGER_MS, log });
      committers.push(committer);
      // Before the group reassigns partitions: what is durable commits now rather than being redelivered elsewhere.
      consumer.on(consumer.events.REBALANCING, () => void committer.flush());
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => metrics.lag(payload.topic, payload.partition, Number(payload.offsetLag)));
      // kafkajs restarts a consumer after a retriable crash by itself (a warning); one it does not restart needs a person.
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        log[payload.restart ? 'warn' : 'error']({ err: payload.error, groupId: payload.groupId, restart: payload.restart }, 'kafka consumer crashed'),
      );
      await consumer.connect();
      await consumer.subscribe({ topics: [plan.topic], fromBeginning });
      const eachBatch = batchHandler({
        ...plan,
        signal: createSignalCoalescer(temporal, { lingerMs: options.signalLingerMs ?? DEFAULT_SIGNAL_LINGER_MS }),
        producer,
        db,
        sql: options.sql ?? db,
        temporal,
        registry,
        metrics,
        retry: options.retry,
        maxFutureSkewMs: options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS,
        chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
        taskQueue: options.taskQueue,
        log: log.child({ table: plan.table }),
        committer,
        stopping,
      });
      await consumer.run({
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? DEFAULT_PARTITIONS_CONCURRENTLY,
        // The committer commits instead, after each chunk's effects are durable.
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch,
      });
      log.info({ ...plan, fromBeginning, subProcessors: subProcessorsFor(registry, plan.table).map((sp) => sp.name) }, 'consuming');
    }
  } catch (err) {
    await stop().catch((stopErr: unknown) => log.warn({ err: stopErr }, 'cleanup after a failed start'));
    throw err;
  }

  return { consumers: plans, metrics: () => metrics.snapshot(), stop };
}

interface HandlerDeps {
  table: ChangefeedTable;
  producer: Producer;
  db: PrismaClient;
  sql: SqlClient;
  temporal: Client;
  registry: SubProcessorRegistry;
  metrics: ProcessorMetrics;
  retry?: KafkaProcessorOptions['retry'];
  maxFutureSkewMs: number;
  chunkSize: number;
  taskQueue?: string;
  signal: SendStreamSignal;
  log: Logger;
  committer: OffsetCommitter;
  stopping: { now: boolean };
}

/**
 * Works one partition's fetched batch in chunks of offset-ordered messages. Per chunk: decode all; dead-letter
 * the malformed; run the changes through each sub-processor as a batch (one watermark read, one SignalWithStart per
 * shard, and one statement for every outcome and watermark); then resolve the chunk's last offset and hand it to the
 * committer. Offsets move only after the chunk's effects are durable, so a crash anywhere redelivers, never skips.
 */
function batchHandler({ table, producer, db, sql, temporal, registry, metrics, retry, maxFutureSkewMs, chunkSize, taskQueue, signal, log, committer, stopping }: HandlerDeps) {
  const ctx = { db, sql, temporal, log };
  const subProcessors = subProcessorsFor(registry, table);

  const handleChunk = async (topic: string, partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>): Promise<void> => {
    const now = Date.now();
    const changes: AnyChange[] = [];
    for (const message of messages) {
      const raw = { key: message.key, value: message.value, headers: message.headers, topic, partition, offset: message.offset };
      const decoded = decodeMessage(table, raw, { now: () => now, maxFutureSkewMs });
      metrics.message(topic, decoded.kind);
      if (decoded.kind === 'resolved') continue;
      if (decoded.kind === 'change') {
        changes.push(decoded.change);
        continue;
      }
      log.warn({ topic, partition, offset: message.offset, err: decoded.error }, 'malformed message; dead-lettering');
      await recordDeadLetter({
        producer,
        db,
        message: raw,
        table,
        subProcessor: 'decode',
        hints: { rowKey: decoded.rowKey, updated: decoded.updated },
        error: decoded.error,
        attempts: 1,
        firstFailedAt: new Date(now),
      });
      metrics.outcome(topic, 'decode', 'dead_lettered');
      countProcessorOutcome(table, 'decode', 'dead_lettered', null);
    }
    if (changes.length === 0) return;

    const options = { ...retry, maxFutureSkewMs, taskQueue, heartbeat, signal };
    const watermarks = await readWatermarksOf(sql, subProcessors.map((sp) => sp.name), changes, { now: new Date(now), maxFutureSkewMs });
    const runs = await Promise.all(subProcessors.map(async (sp) => ({ sp, run: await planSubProcessorBatch(sp, changes, ctx, { ...options, watermarks: watermarks.get(sp.name) }) })));
    await settleOutcomes(sql, runs.flatMap(({ run }) => run.outcomes), { maxFutureSkewMs });
    // Outcomes first: if recording a dead letter then fails, the redelivered chunk finds the other sub-processors'
    // work done (duplicates) and re-runs only what was given up on.
    for (const { sp, run } of runs) {
      for (const [index, result] of run.results.entries()) {
        if (result.outcome !== 'dead_lettered') continue;
        const change = changes[index]!;
        const message = messages.find((candidate) => candidate.offset === change.source.offset);
        await recordDeadLetter({
          producer,
          db,
          message: { key: message?.key ?? null, value: message?.value ?? null, headers: message?.headers, topic, partition, offset: change.source.offset },
          table,
          subProcessor: sp,
          change,
          error: result.error,
          errorKind: result.gaveUp,
          attempts: result.attempts,
          firstFailedAt: result.firstFailedAt ?? new Date(),
        });
      }
    }
    for (const { sp, run } of runs) {
      for (const result of run.results) {
        metrics.outcome(topic, sp.name, result.outcome);
        countProcessorOutcome(table, sp.name, result.outcome, result.latencyMs);
      }
    }
  };

  return async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    const { topic, partition } = batch;
    const heartbeat = () => payload.heartbeat();
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + chunkSize);
      const last = chunk.at(-1)!;
      try {
        await handleChunk(topic, partition, chunk, heartbeat);
      } catch (err) {
        log.error({ err, topic, partition, offsets: `${chunk[0]!.offset}-${last.offset}` }, 'batch not processed; kafkajs will redeliver it');
        throw err;
      }
      payload.resolveOffset(last.offset);
      committer.processed(topic, partition, last.offset);
      if (stopping.now) await committer.flush();
      await heartbeat();
    }
  };
}

async function ensureTopics(kafka: Kafka, topics: string[], numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createMissingTopics(admin, topics, numPartitions);
  } finally {
    await admin.disconnect();
  }
}
