import type { Client } from '@temporalio/client';
import type { Consumer, ConsumerConfig, EachMessagePayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { PrismaClient } from '../../server/db/generated/client.ts';
import { recordDeadLetter } from '../../server/stream/dead-letters.ts';
import { decodeMessage } from '../../server/stream/decode.ts';
import { ProcessorMetrics, type MetricsSnapshot } from '../../server/stream/metrics.ts';
import { runSubProcessor, subProcessorsFor, type RunOptions, type SubProcessorRegistry } from '../../server/stream/run-sub-processor.ts';
import { changefeedTables, dlqTopicFor, topicFor, type ChangefeedTable } from '../../server/stream/tables.ts';

export interface KafkaProcessorOptions {
  kafka: Kafka;
  /** Used for the dead-letter topics; owned (connected, disconnected) by the caller. */
  producer: Producer;
  db: PrismaClient;
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
  /** How often the structured metrics summary is logged. */
  summaryIntervalMs?: number;
  /** Create each topic and its `.dlq` if missing. Off where topics are provisioned separately. */
  ensureTopics?: boolean;
  /** Partitions of topics it creates; existing topics keep theirs. Default 3, as the CDC relay creates them. */
  partitions?: number;
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
 * sub-processors.
 *
 * `eachMessage`, not `eachBatch`: each change runs through its sub-processors in order before the next
 * message of the partition, so per-key order holds without bookkeeping, and kafkajs resolves a message's
 * offset only after the handler returns. The handler throws only when something could not be made durable
 * (the database is down, or the dead letter could not be produced or recorded); kafkajs then retries the
 * message and, after its retries, restarts the consumer from the last committed offset. Nothing is skipped
 * silently, and the watermarks turn the repeat work into duplicates. A malformed message, or a change a
 * sub-processor gave up on, is dead-lettered and the partition moves on.
 */
export async function startKafkaProcessors(options: KafkaProcessorOptions): Promise<KafkaProcessors> {
  const { kafka, producer, db, temporal, registry, groupPrefix = 'dashops-processor', fromBeginning = true, topicPrefix = '' } = options;
  const tables = options.tables ?? (Object.keys(changefeedTables) as ChangefeedTable[]);
  const log = options.log.child({ component: 'kafka-processor' });
  const metrics = new ProcessorMetrics();
  const plans = tables.map((table) => ({ table, topic: `${topicPrefix}${topicFor(table)}`, groupId: `${groupPrefix}.${table}` }));

  if (options.ensureTopics ?? true) await ensureTopics(kafka, plans.flatMap(({ topic }) => [topic, dlqTopicFor(topic)]), options.partitions ?? 3);

  const consumers: Consumer[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      clearInterval(summary);
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
      const consumer = kafka.consumer({ ...options.consumerConfig, groupId: plan.groupId });
      consumers.push(consumer);
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => metrics.lag(payload.topic, payload.partition, Number(payload.offsetLag)));
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        log.error({ err: payload.error, groupId: payload.groupId, restart: payload.restart }, 'kafka consumer crashed'),
      );
      await consumer.connect();
      await consumer.subscribe({ topics: [plan.topic], fromBeginning });
      const handle = messageHandler({ ...plan, producer, db, temporal, registry, metrics, retry: options.retry, log: log.child({ table: plan.table }) });
      await consumer.run({ partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3, eachMessage: handle });
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
  temporal: Client;
  registry: SubProcessorRegistry;
  metrics: ProcessorMetrics;
  retry?: KafkaProcessorOptions['retry'];
  log: Logger;
}

function messageHandler({ table, producer, db, temporal, registry, metrics, retry, log }: HandlerDeps) {
  const ctx = { db, temporal, log };
  const handle = async (payload: EachMessagePayload): Promise<void> => {
    const { topic, partition, message } = payload;
    const raw = { key: message.key, value: message.value, headers: message.headers, topic, partition, offset: message.offset };
    const decoded = decodeMessage(table, raw);
    metrics.message(topic, decoded.kind);

    if (decoded.kind === 'resolved') return;
    if (decoded.kind === 'malformed') {
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
        firstFailedAt: new Date(),
      });
      metrics.outcome(topic, 'decode', 'dead_lettered');
      return;
    }

    const change = decoded.change;
    for (const sp of subProcessorsFor(registry, table)) {
      const result = await runSubProcessor(sp, change, ctx, { ...retry, heartbeat: () => payload.heartbeat() });
      if (result.outcome === 'dead_lettered') {
        await recordDeadLetter({
          producer,
          db,
          message: raw,
          table,
          subProcessor: sp,
          change,
          error: result.error,
          errorKind: result.gaveUp,
          attempts: result.attempts,
          firstFailedAt: result.firstFailedAt ?? new Date(),
        });
      }
      metrics.outcome(topic, sp.name, result.outcome);
    }
  };
  return async (payload: EachMessagePayload): Promise<void> => {
    try {
      await handle(payload);
    } catch (err) {
      log.error({ err, topic: payload.topic, partition: payload.partition, offset: payload.message.offset }, 'message not processed; kafkajs will retry it');
      throw err;
    }
  };
}

async function ensureTopics(kafka: Kafka, topics: string[], numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    // Resolves false, not an error, if another process created them first.
    await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
