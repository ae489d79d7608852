import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { db } from '../../server/db/client.ts';
import { env } from '../../server/env.ts';
import { kafkaAdmin, kafkaProducer } from '../../server/kafka/client.ts';
import { logger } from '../../server/logger.ts';
import { temporal } from '../../server/temporal/client.ts';
import { TASK_QUEUES } from '../../server/temporal/contract.ts';
import { eventually } from '../../server/testing/eventually.ts';
import { createActivities } from '../activities/index.ts';
import { startInventoryStream, type InventoryStream } from '../inventory-stream.ts';

/**
 * The whole pipeline on the real services, for a test file: write path → pgoutput → relay (a slot and publication
 * of its own) → Kafka → processors (consumer groups of their own) → stream workflows on a worker → activities →
 * database. It returns once both consumer groups have joined: new groups start at the latest offset, so a change
 * written earlier would be missed. Needs the test stack (`npm test`).
 */
/** Names of the file's own: the slot and publication, the consumer groups, one store and catalog item to write to. */
export interface PipelineTestNames {
  label: string;
  /** Unique to this run of the file, for any other names it needs. */
  run: string;
  slotName: string;
  groupPrefix: string;
  storeId: string;
  sku: string;
}

/** `test_<label>_<run>` for the slot, `test-<label>-<run>` for the groups, `<prefix>-<run>` and `<prefix>-SKU-<run>`. */
export function pipelineTestNames(label: string, prefix: string): PipelineTestNames {
  const run = randomUUID().slice(0, 8);
  return { label, run, slotName: `test_${label}_${run}`, groupPrefix: `test-${label}-${run}`, storeId: `${prefix}-${run}`, sku: `${prefix}-SKU-${run}` };
}

export interface PipelineTestStack {
  stream: InventoryStream;
  /** Stops the stream and the worker, and drops the slot and publication. */
  stop(): Promise<void>;
}

export async function startPipelineTestStack({ label, slotName, groupPrefix, storeId, sku }: PipelineTestNames): Promise<PipelineTestStack> {
  const title = `${label[0]!.toUpperCase()}${label.slice(1)}`;
  await db().store.create({ data: { storeId, name: `${title} test store`, city: 'Testville' } });
  await db().catalogItem.create({ data: { sku, name: `${title} test item`, category: 'test', reorderPoint: 3 } });

  const connection = await NativeConnection.connect({ address: env().TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUES.stream,
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    activities: createActivities({ db: db() }),
  });
  const workerRun = worker.run();
  const stream = await startInventoryStream({
    connectionString: env().DATABASE_URL,
    producer: await kafkaProducer(),
    db: db(),
    temporal: temporal(),
    log: logger.child({ test: label }),
    relay: { enabled: true, slotName, publicationName: slotName, resolvedIntervalMs: 1000 },
    groupPrefix,
  });
  const admin = await kafkaAdmin();
  await eventually('both consumer groups to be stable', async () => {
    const { groups } = await admin.describeGroups(stream.processors.consumers.map((consumer) => consumer.groupId));
    return groups.every((group) => group.state === 'Stable' && group.members.length > 0);
  });

  return {
    stream,
    async stop() {
      await stream.stop();
      worker.shutdown();
      await workerRun;
      await connection.close();
      await db().$executeRaw`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${slotName} AND NOT active`;
      await db().$executeRawUnsafe(`DROP PUBLICATION IF EXISTS "${slotName}"`);
    },
  };
}

/** For a test file: starts the stack before its tests, and after them stops it, runs `cleanup` and disconnects. */
export function withPipelineTestStack(names: PipelineTestNames, cleanup?: () => Promise<unknown>): void {
  let stack: PipelineTestStack | undefined;
  beforeAll(async () => {
    stack = await startPipelineTestStack(names);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await cleanup?.();
    await db().$disconnect();
  });
}
