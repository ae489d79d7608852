import { Kafka, Partitioners, type Admin, type Producer } from 'kafkajs';
import { env } from '../env.ts';
import { logger } from '../logger.ts';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-log.ts';

const globalForKafka = globalThis as unknown as {
  dashopsKafka?: Kafka;
  dashopsAdmin?: Promise<Admin>;
  dashopsProducer?: Promise<Producer>;
};

/** One kafkajs client per process; cached on globalThis so dev hot reload does not leak brokers connections. */
export function kafka(): Kafka {
  globalForKafka.dashopsKafka ??= new Kafka({
    clientId: env().KAFKA_CLIENT_ID,
    brokers: env().KAFKA_BROKERS,
    logLevel: kafkaLogLevel(env().LOG_LEVEL),
    logCreator: kafkaLogCreator(logger),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
  });
  return globalForKafka.dashopsKafka;
}

/** A connected admin client, shared; a failed connect is forgotten so the next call retries. */
export function kafkaAdmin(): Promise<Admin> {
  // Few retries: the admin serves health checks and the console, which should report a dead broker quickly.
  globalForKafka.dashopsAdmin ??= connect(kafka().admin({ retry: { retries: 1 } }), () => (globalForKafka.dashopsAdmin = undefined));
  return globalForKafka.dashopsAdmin;
}

/** A connected idempotent producer, shared. */
export function kafkaProducer(): Promise<Producer> {
  globalForKafka.dashopsProducer ??= connect(
    // The Java client's murmur2 partitioner: the same key lands on the same partition as a CockroachDB changefeed's.
    kafka().producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner }),
    () => (globalForKafka.dashopsProducer = undefined),
  );
  return globalForKafka.dashopsProducer;
}

async function connect<T extends Admin | Producer>(client: T, forget: () => void): Promise<T> {
  try {
    await client.connect();
    return client;
  } catch (err) {
    forget();
    throw err;
  }
}
