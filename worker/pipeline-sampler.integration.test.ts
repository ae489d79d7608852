import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { db } from '../server/db/client.ts';
import { temporal } from '../server/temporal/client.ts';
import { cleanupAll } from '../server/testing/cleanup.ts';
import { ratePerSecond, startPipelineSampler, windowStart, type PipelineSampler } from './pipeline-sampler.ts';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) throw new Error('KAFKA_BROKERS is not set. Run integration tests through `npm test`, or point KAFKA_BROKERS at a running broker.');

const runId = randomUUID().slice(0, 8);
const prefix = `test-sampler-${runId}-`;
const table = 'inventory_levels';
const topic = `${prefix}${table}`;
const groupPrefix = `${prefix}group`;
const groupId = `${groupPrefix}.${table}`;
const kafka = new Kafka({ clientId: `${prefix}client`, brokers: brokers.split(','), logLevel: logLevel.ERROR });
const admin = kafka.admin();
const producer = kafka.producer();
const sampleIds: number[] = [];
const samplers: PipelineSampler[] = [];

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const messages = (partition: number, n: number) => Array.from({ length: n }, (_, i) => ({ partition, key: `k${i}`, value: `v${i}` }));
  await producer.send({ topic, messages: [...messages(0, 5), ...messages(1, 3)] });
  // The processor's group has read two messages of partition 0, and never committed on partition 1.
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
});

afterAll(async () => {
  await cleanupAll(prefix, [
    ...samplers.map((sampler) => () => sampler.stop()),
    () => db().pipelineSample.deleteMany({ where: { id: { in: sampleIds } } }),
    () => db().changeOutcome.deleteMany({ where: { topic } }),
    () => db().deadLetter.deleteMany({ where: { topic } }),
    () => db().streamApplied.deleteMany({ where: { subProcessor: `${prefix}c` } }),
    () => producer.disconnect(),
    () => admin.deleteGroups([groupId]),
    () => admin.deleteTopics({ topics: [topic] }),
    () => admin.disconnect(),
    () => db().$disconnect(),
    () => temporal().connection.close(),
  ]);
});

it('records consumer lag per partition, messages/s, dead letters since the last sample, the task queue backlog and the stream queue; a second tick counts only what is new', async () => {
  // Three distinct messages processed in the window (two sub-processors saw offset 0), and one dead letter.
  await db().changeOutcome.createMany({
    data: [
      { partition: 0, offset: 0n, subProcessor: `${prefix}a` },
      { partition: 0, offset: 0n, subProcessor: `${prefix}b` },
      { partition: 0, offset: 1n, subProcessor: `${prefix}a` },
      { partition: 1, offset: 0n, subProcessor: `${prefix}a` },
    ].map((o) => ({ ...o, tableName: table, rowKey: '["S","K"]', updated: '1.0', topic, outcome: 'applied' as const })),
  });
  // A third sub-processor queued offset 0 in its stream workflow, which has not applied it yet.
  const queued = await db().changeOutcome.create({
    data: { tableName: table, rowKey: '["S","K"]', updated: '1.0', topic, partition: 0, offset: 0n, subProcessor: `${prefix}c`, outcome: 'signalled', workflowId: `stream:${prefix}c:S` },
  });
  await db().deadLetter.create({
    data: {
      topic,
      partition: 1,
      offset: 0n,
      payload: '{}',
      headers: {},
      subProcessor: `${prefix}a`,
      tableName: table,
      errorMessage: 'boom',
      attempts: 3,
      firstFailedAt: new Date(),
      lastFailedAt: new Date(),
    },
  });

  let now = new Date(Date.now() + 1000);
  // No worker samples during `npm test`'s integration stage; against a running stack, its samples of the table
  // set where this window starts.
  const previous = await db().pipelineSample.findFirst({ where: { tableName: table }, orderBy: { sampledAt: 'desc' } });
  const since = windowStart(previous?.sampledAt ?? null, now, 10_000);
  const sampler = startPipelineSampler({
    db: db(),
    admin: async () => admin,
    temporal: temporal(),
    log: pino({ level: 'silent' }),
    slotName: `no_such_slot_${runId.replace(/-/g, '_')}`,
    groupPrefix,
    taskQueue: `${prefix}queue`,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    tables: [table],
    topicPrefix: prefix,
    intervalMs: 10_000,
    clock: () => now,
  });
  samplers.push(sampler);
  await sampler.stop(); // waits for the first tick; the test drives the rest

  const latest = () => db().pipelineSample.findFirstOrThrow({ where: { tableName: table }, orderBy: { id: 'desc' } });
  const first = await latest();
  sampleIds.push(first.id);
  expect(first).toMatchObject({
    sampledAt: now,
    slotLagBytes: null,
    consumerLag: 6n,
    partitionLag: [
      { partition: 0, lag: 3 },
      { partition: 1, lag: 3 },
    ],
    messagesPerSecond: ratePerSecond(3, since.getTime(), now.getTime()),
    workflowBacklog: 0,
    deadLetters: 1,
    streamQueued: 1,
    streamQueuedOldestAt: queued.createdAt,
  });

  // Within half an interval of a sample (another replica's, say), the table is left alone.
  now = new Date(now.getTime() + 2000);
  await sampler.sampleNow();
  expect((await latest()).id).toBe(first.id);

  // The workflow applies it: the next sample finds nothing queued.
  await db().streamApplied.create({
    data: { subProcessor: `${prefix}c`, messageId: `${table}:["S","K"]@1.0`, tableName: table, rowKey: '["S","K"]', updated: '1.0', workflowId: `stream:${prefix}c:S`, runId: 'run', latencyMs: 9 },
  });
  now = new Date(now.getTime() + 8000);
  await sampler.sampleNow();
  const second = await latest();
  sampleIds.push(second.id);
  expect(second.id).not.toBe(first.id);
  expect(second).toMatchObject({ consumerLag: 6n, messagesPerSecond: 0, deadLetters: 0, streamQueued: 0, streamQueuedOldestAt: null });
});
