import { streamPool } from '../server/db/pg-pool.ts';
import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { PrismaClient } from '../server/db/generated/client.ts';
import { env } from '../server/env.ts';
import { kafka } from '../server/kafka/client.ts';
import { databaseFaultDrills, withFaultDrills } from '../server/stream/fault-drills.ts';
import { subProcessorsByTable } from '../server/stream/registry.ts';
import { changefeedTables, type ChangefeedTable } from '../server/stream/tables.ts';
import { startCdcRelay, type CdcRelay } from './cdc/relay.ts';
import { startKafkaProcessors, type KafkaProcessors } from './processor/kafka-processor.ts';

export interface InventoryStreamOptions {
  connectionString: string;
  producer: Producer;
  db: PrismaClient;
  temporal: Client;
  log: Logger;
  relay: { enabled: boolean; slotName: string; publicationName: string; resolvedIntervalMs: number };
  groupPrefix: string;
}

export interface InventoryStream {
  relay: CdcRelay | undefined;
  processors: KafkaProcessors;
  stop(): Promise<void>;
}

/**
 * The worker's half of the change stream: the CDC relay (Postgres → Kafka) and the general processor
 * (Kafka → sub-processors → Temporal). Processors start first so their groups exist before changes flow.
 */
export async function startInventoryStream(options: InventoryStreamOptions): Promise<InventoryStream> {
  const tables = Object.keys(changefeedTables) as ChangefeedTable[];
  const drills = env().STREAM_FAULT_DRILLS === 'on';
  if (drills) options.log.warn('STREAM_FAULT_DRILLS=on: stream_fault_drills rows fail their sub-processors (dev and tests only)');
  const processors = await startKafkaProcessors({
    kafka: kafka(),
    producer: options.producer,
    db: options.db,
    sql: streamPool(),
    temporal: options.temporal,
    registry: drills ? withFaultDrills(subProcessorsByTable, databaseFaultDrills(options.db)) : subProcessorsByTable,
    log: options.log,
    groupPrefix: options.groupPrefix,
    tables,
    partitions: env().KAFKA_TOPIC_PARTITIONS,
    maxFutureSkewMs: env().STREAM_MAX_CLOCK_SKEW_MS,
  });
  let relay: CdcRelay | undefined;
  try {
    if (options.relay.enabled) relay = await startInventoryRelay(options);
  } catch (err) {
    await processors.stop();
    throw err;
  }
  return {
    relay,
    processors,
    async stop() {
      // The relay first: it stops producing; then the processors drain what they hold and commit.
      await relay?.stop();
      await processors.stop();
    },
  };
}

/** The CDC relay of every changefeed table alone, for a worker whose WORKER_ROLES has `relay` but not `processors`. */
export function startInventoryRelay(options: Pick<InventoryStreamOptions, 'connectionString' | 'producer' | 'log' | 'relay'>): Promise<CdcRelay> {
  return startCdcRelay({
    connectionString: options.connectionString,
    producer: options.producer,
    tables: Object.keys(changefeedTables) as ChangefeedTable[],
    slotName: options.relay.slotName,
    publicationName: options.relay.publicationName,
    resolvedIntervalMs: options.relay.resolvedIntervalMs,
    partitions: env().KAFKA_TOPIC_PARTITIONS,
    log: options.log,
  });
}
