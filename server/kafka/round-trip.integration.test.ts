import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type KafkaMessage } from 'kafkajs';
import { afterAll, expect, it, vi } from 'vitest';
import { cleanupAll } from '../testing/cleanup.ts';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) {
  throw new Error(
    'KAFKA_BROKERS is not set. Run integration tests through `npm test` (it starts Kafka on test ports), ' +
      'or set KAFKA_BROKERS=host:port to point them at a running broker.',
  );
}

const runId = randomUUID().slice(0, 8);
const topic = `test-round-trip-${runId}`;
const groupId = `test-round-trip-${runId}`;

const kafka = new Kafka({ clientId: 'round-trip-test', brokers: brokers.split(','), logLevel: logLevel.WARN });
const admin = kafka.admin();
// Idempotent with one request in flight, as the app's producer is (server/kafka/client.ts).
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
// A short fetch long-poll, so disconnect() does not sit out the default 5 s wait for an empty fetch.
const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });

afterAll(async () => {
  // The consumer leaves first so its group can be deleted.
  await cleanupAll(`Kafka test ${topic}`, [
    () => consumer.disconnect(),
    () => producer.disconnect(),
    () => admin.deleteGroups([groupId]),
    () => admin.deleteTopics({ topics: [topic] }),
    () => admin.disconnect(),
  ]);
});

it('produces a keyed message with a header and consumes it in a fresh group, committing its offset', async () => {
  await admin.connect();
  expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(true);

  await producer.connect();
  const key = JSON.stringify(['store-1', 'sku-42']);
  const value = JSON.stringify({ after: { on_hand: 7 }, before: null, updated: '1700000000000000000.0000000000' });
  const [sent] = await producer.send({
    topic,
    messages: [{ key, value, headers: { 'dashops-test-run': runId } }],
  });
  expect(sent).toMatchObject({ topicName: topic, partition: 0, errorCode: 0 });

  const received: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push(message);
    },
  });

  await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 30_000, interval: 100 });
  const [message] = received;
  expect(message?.key?.toString()).toBe(key);
  expect(message?.value?.toString()).toBe(value);
  expect(message?.headers?.['dashops-test-run']?.toString()).toBe(runId);
  expect(message?.offset).toBe(sent?.baseOffset);

  // The group's committed offset reaches the end of the partition (what consumer-lag reporting reads).
  const [end] = await admin.fetchTopicOffsets(topic);
  expect(end).toMatchObject({ partition: 0, high: '1' });
  await vi.waitFor(
    async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: end?.high })]);
    },
    { timeout: 30_000, interval: 200 },
  );
});
