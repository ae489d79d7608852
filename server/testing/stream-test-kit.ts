import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type KafkaMessage } from 'kafkajs';
import { expect, vi } from 'vitest';
import { db } from '../db/client.ts';
import { env } from '../env.ts';
import { temporal } from '../temporal/client.ts';
import { cleanupAll } from './cleanup.ts';

/**
 * What the stream integration tests share: a Kafka admin and producer under a run-unique prefix, the topics and
 * consumer groups they create, and one cleanup of everything named after the prefix (Kafka, watermarks, outcomes,
 * dead letters, audit rows). Needs the services' env (`npm test` sets it; env() names anything missing).
 */
export function streamTestKit(name: string) {
  const prefix = `test-${name}-${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ clientId: prefix, brokers: env().KAFKA_BROKERS, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const topics: string[] = [];
  const groups: string[] = [];
  return {
    prefix,
    kafka,
    admin,
    producer,
    /** Topics and consumer groups the tests created; deleted at cleanup. */
    topics,
    groups,
    async connect(): Promise<void> {
      await admin.connect();
      await producer.connect();
    },
    /** The first `count` (or more) messages on `topic`, read from the beginning by a consumer group of its own. */
    async readTopic(topic: string, count: number): Promise<KafkaMessage[]> {
      const groupId = `${prefix}-reader-${randomUUID().slice(0, 6)}`;
      groups.push(groupId);
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      const received: KafkaMessage[] = [];
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
        await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(count), { timeout: 30_000, interval: 100 });
      } finally {
        await consumer.disconnect();
      }
      return received;
    },
    /** `first` runs before anything is torn down (e.g. stopping consumers that still use the topics). */
    cleanup(first: (() => Promise<unknown>)[] = []): Promise<void> {
      return cleanupAll(prefix, [
        ...first,
        () => producer.disconnect(),
        ...(groups.length > 0 ? [() => admin.deleteGroups(groups)] : []),
        ...(topics.length > 0 ? [() => admin.deleteTopics({ topics })] : []),
        () => admin.disconnect(),
        () => db().processorWatermark.deleteMany({ where: { subProcessor: { startsWith: prefix } } }),
        () => db().changeOutcome.deleteMany({ where: { subProcessor: { startsWith: prefix } } }),
        () => db().deadLetter.deleteMany({ where: { topic: { startsWith: prefix } } }),
        () => db().auditLog.deleteMany({ where: { actor: { startsWith: prefix } } }),
        () => db().$disconnect(),
        () => temporal().connection.close(),
      ]);
    },
  };
}
