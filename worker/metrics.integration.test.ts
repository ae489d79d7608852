import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../server/db/client.ts';
import { metrics } from '../server/metrics/registry.ts';
import { recordDeadLetter } from '../server/stream/dead-letter-record.ts';
import type { SubProcessor } from '../server/stream/sub-processor.ts';
import type { InventoryLevelRow } from '../server/stream/tables.ts';
import { eventually } from '../server/testing/eventually.ts';
import { streamTestKit } from '../server/testing/stream-test-kit.ts';
import { temporal } from '../server/temporal/client.ts';
import type { CdcRelayStatus } from './cdc/relay.ts';
import { startMetricsSampler, type MetricsSampler } from './metrics-sampler.ts';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import { startKafkaProcessors, type KafkaProcessors } from './processor/kafka-processor.ts';

const kit = streamTestKit('metrics');
const { prefix, kafka, admin, producer, topics, groups } = kit;
const log = pino({ level: 'silent' });
const topicPrefix = `${prefix}.`;
const topic = `${topicPrefix}inventory_levels`;
const groupPrefix = prefix;
const slotName = prefix.replace(/-/g, '_');
const subProcessorName = `${prefix}-sp`;

let server: MetricsServer;
let sampler: MetricsSampler;
let processors: KafkaProcessors | undefined;
let sampleId: number | undefined;
let relayStatus: CdcRelayStatus;

beforeAll(async () => {
  await kit.connect();
  topics.push(topic, `${topic}.dlq`);
  groups.push(`${groupPrefix}.inventory_levels`);
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await db().$executeRaw`SELECT pg_create_logical_replication_slot(${slotName}, 'pgoutput')`;
  server = await startMetricsServer({ address: '127.0.0.1:0', registry: metrics().registry, coreAddress: null, log });
  relayStatus = { slotName, messagesProduced: 0, lastResolved: null };
  sampler = startMetricsSampler({
    db: db(),
    admin: async () => admin,
    log,
    slotName,
    groupPrefix,
    topicPrefix,
    tables: ['inventory_levels'],
    relayStatus: () => relayStatus,
    intervalMs: 60_000,
  });
});

afterAll(() =>
  kit.cleanup([
    async () => sampler?.stop(),
    async () => server?.stop(),
    async () => processors?.stop(),
    () => db().$executeRaw`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${slotName}`,
    async () => (sampleId === undefined ? undefined : db().pipelineSample.delete({ where: { id: sampleId } })),
    () => db().streamApplied.deleteMany({ where: { subProcessor: { startsWith: prefix } } }),
  ]),
);

/** One sample of `name` with (at least) these labels from a scrape of the real endpoint; undefined when absent. */
async function scrape(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const response = await fetch(server.url);
  expect(response.status).toBe(200);
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair): [string, string] => [pair[1] ?? '', pair[2] ?? '']));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}

const hlcAgo = (ms: number) => `${BigInt(Date.now() - ms) * 1_000_000n}.0000000000`;

function envelope(sku: string, onHand: number) {
  const row: InventoryLevelRow = { store_id: `${prefix}-store`, sku, on_hand: onHand, updated_at: new Date().toISOString() };
  const key = [row.store_id, sku];
  return { key: JSON.stringify(key), value: JSON.stringify({ after: row, before: null, key, updated: hlcAgo(2_000) }) };
}

describe('worker /metrics', () => {
  it('reports consumer lag per partition, slot lag, the relay and the stream gauges from the real services', async () => {
    // Three changes the group has not consumed yet, all on partition 0.
    await producer.send({ topic, messages: [1, 2, 3].map((n) => ({ ...envelope(`lag-${n}`, n), partition: 0 })) });
    relayStatus = { ...relayStatus, messagesProduced: 5, lastResolved: hlcAgo(3_000) };
    // WAL written after the slot was made: the slot holds it.
    await db().auditLog.create({ data: { actor: `${prefix}-wal`, actorRole: 'test', action: 'test.wal', target: 'wal' } });
    const now = new Date();
    const sample = await db().pipelineSample.create({
      data: {
        tableName: 'inventory_levels',
        sampledAt: now,
        consumerLag: 0n,
        partitionLag: [],
        messagesPerSecond: 0,
        deadLetters: 0,
        streamQueued: 2,
        streamQueuedOldestAt: new Date(now.getTime() - 600_000),
      },
    });
    sampleId = sample.id;

    await sampler.sampleNow();
    expect(await scrape('dashops_consumer_lag_messages', { table: 'inventory_levels', topic, partition: '0' })).toBe(3);
    expect(await scrape('dashops_consumer_lag_messages', { table: 'inventory_levels', topic, partition: '1' })).toBe(0);
    expect(await scrape('dashops_relay_slot_lag_bytes', { slot: slotName })).toBeGreaterThan(0);
    expect(await scrape('dashops_relay_rows_total')).toBe(5);
    expect(await scrape('dashops_relay_confirmed_age_seconds', { slot: slotName })).toBeGreaterThanOrEqual(3);
    expect(await scrape('dashops_stream_queued_messages', { table: 'inventory_levels' })).toBe(2);
    expect(await scrape('dashops_stream_queued_oldest_age_seconds', { table: 'inventory_levels' })).toBeGreaterThanOrEqual(600);
    expect(await scrape('dashops_stream_applied_messages', { table: 'inventory_levels' })).toBeGreaterThanOrEqual(0);
    expect(await scrape('dashops_stream_failed_messages', { table: 'inventory_levels' })).toBeGreaterThanOrEqual(0);

    // The relay produced 3 more: the counter moves by the difference.
    relayStatus = { ...relayStatus, messagesProduced: 8 };
    await sampler.sampleNow();
    expect(await scrape('dashops_relay_rows_total')).toBe(8);
  });

  it('counts outcomes, dead letters by stage and latency as real messages flow through the processor, and the lag drains', async () => {
    const sp: SubProcessor<InventoryLevelRow> = {
      name: subProcessorName,
      accepts: () => true,
      process: async () => ({ outcome: 'applied' }),
      onError: () => 'retry',
    };
    processors = await startKafkaProcessors({
      kafka,
      producer,
      db: db(),
      temporal: temporal(),
      registry: { inventory_levels: [sp] },
      log,
      groupPrefix,
      topicPrefix,
      tables: ['inventory_levels'],
      consumerConfig: { maxWaitTimeInMs: 100 },
    });
    // One more change, and one message that is not JSON: dead-lettered at decode.
    await producer.send({ topic, messages: [{ ...envelope('flow-1', 9), partition: 1 }, { key: '["x"]', value: 'not json', partition: 1 }] });

    const applied = { table: 'inventory_levels', sub_processor: subProcessorName, outcome: 'applied' };
    await eventually('four applied outcomes counted', async () => (await scrape('dashops_processor_messages_total', applied)) === 4);
    expect(await scrape('dashops_processor_messages_total', { table: 'inventory_levels', sub_processor: 'decode', outcome: 'dead_lettered' })).toBe(1);
    expect(await scrape('dashops_dead_letters_total', { table: 'inventory_levels', stage: 'decode' })).toBe(1);
    const latency = { table: 'inventory_levels', sub_processor: subProcessorName };
    expect(await scrape('dashops_processor_latency_seconds_count', latency)).toBe(4);
    // Each change was committed ~2 s before it was produced: none settles under a second, all within five minutes.
    expect(await scrape('dashops_processor_latency_seconds_bucket', { ...latency, le: '1' })).toBe(0);
    expect(await scrape('dashops_processor_latency_seconds_bucket', { ...latency, le: '300' })).toBe(4);

    await eventually('the group lag drains to 0', async () => {
      await sampler.sampleNow();
      const lags = await Promise.all(['0', '1'].map((partition) => scrape('dashops_consumer_lag_messages', { table: 'inventory_levels', topic, partition })));
      return lags.every((lag) => lag === 0);
    });
  });

  it('counts a workflow-stage dead letter once, however often the workflow records it', async () => {
    const workflow = { table: 'inventory_levels', stage: 'workflow' };
    const before = (await scrape('dashops_dead_letters_total', workflow)) ?? 0;
    const record = () =>
      recordDeadLetter({
        producer,
        db: db(),
        message: { key: '["s","k"]', value: '{}', topic, partition: 0, offset: '999' },
        table: 'inventory_levels',
        subProcessor: { name: subProcessorName },
        stage: 'workflow',
        workflowId: `${prefix}-wf`,
        runId: 'run-1',
        error: new Error('gave up'),
        attempts: 10,
        firstFailedAt: new Date(),
      });
    expect((await record()).created).toBe(true);
    expect((await record()).created).toBe(false);
    expect(await scrape('dashops_dead_letters_total', workflow)).toBe(before + 1);
  });
});
