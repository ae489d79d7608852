import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../server/auth/actor.ts';
import { db } from '../server/db/client.ts';
import { env } from '../server/env.ts';
import { adjustStock, receiveLot } from '../server/inventory/stock.ts';
import { touchRows } from '../server/inventory/touch.ts';
import { kafkaAdmin, kafkaProducer } from '../server/kafka/client.ts';
import { logger } from '../server/logger.ts';
import { temporal } from '../server/temporal/client.ts';
import { eventually } from '../server/testing/eventually.ts';
import { streamWorkflowId, TASK_QUEUES } from '../server/temporal/contract.ts';
import { createActivities } from './activities/index.ts';
import { startInventoryStream, type InventoryStream } from './inventory-stream.ts';

// The whole pipeline on the real services: write path → pgoutput → relay → Kafka → processors →
// sub-processors → SignalWithStart → stream workflows → activities → database.
const run = randomUUID().slice(0, 8);
const slotName = `test_pipeline_${run}`;
const groupPrefix = `test-pipeline-${run}`;
const storeId = `PIPE-${run}`;
const sku = `PIPE-SKU-${run}`;
const associate: Actor = { id: 'associate@pipeline-test', role: 'associate' };

let stream: InventoryStream;
let worker: Worker;
let workerRun: Promise<void>;
let connection: NativeConnection;

beforeAll(async () => {
  await db().store.create({ data: { storeId, name: 'Pipeline test store', city: 'Testville' } });
  await db().catalogItem.create({ data: { sku, name: 'Pipeline test item', category: 'test', reorderPoint: 3 } });

  connection = await NativeConnection.connect({ address: env().TEMPORAL_ADDRESS });
  worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUES.stream,
    workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
    activities: createActivities({ db: db() }),
  });
  workerRun = worker.run();

  stream = await startInventoryStream({
    connectionString: env().DATABASE_URL,
    producer: await kafkaProducer(),
    db: db(),
    temporal: temporal(),
    log: logger.child({ test: 'pipeline' }),
    relay: { enabled: true, slotName, publicationName: slotName, resolvedIntervalMs: 1000 },
    groupPrefix,
  });
  // New groups start at the latest offset; write nothing until both have joined.
  const admin = await kafkaAdmin();
  await eventually('both consumer groups to be stable', async () => {
    const { groups } = await admin.describeGroups(stream.processors.consumers.map((consumer) => consumer.groupId));
    return groups.every((group) => group.state === 'Stable' && group.members.length > 0);
  });
}, 120_000);

afterAll(async () => {
  await stream?.stop();
  worker?.shutdown();
  await workerRun;
  await connection?.close();
  await db().$executeRaw`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${slotName} AND NOT active`;
  await db().$executeRawUnsafe(`DROP PUBLICATION IF EXISTS "${slotName}"`);
  await db().$disconnect();
});

const availability = () => db().catalogAvailability.findUnique({ where: { storeId_sku: { storeId, sku } } });
const suggestion = () => db().replenishmentSuggestion.findUnique({ where: { storeId_sku: { storeId, sku } } });

describe('the inventory change stream', () => {
  it('carries a stock adjustment through to catalog availability and replenishment suggestions', async () => {
    await adjustStock(db(), { storeId, sku, delta: 2, reason: 'receive' }, associate);
    await eventually('the SKU to show as available', async () => (await availability())?.available === true);
    // A different sub-processor and workflow: it may land a moment later.
    const opened = await eventually('a replenishment suggestion to open', async () => (await suggestion())?.status === 'open' && suggestion());
    expect(opened).toMatchObject({ status: 'open', onHand: 2, reorderPoint: 3 });

    const sold = await adjustStock(db(), { storeId, sku, delta: -2, reason: 'sale' }, associate);
    await eventually('the SKU to be marked sold out', async () => (await availability())?.available === false);
    // The processor records the change as signalled (queued in the store's workflow); the batch activity records it
    // as applied, with its effect, in the ledger.
    const outcomes = await eventually('the availability outcome of the sale', async () => {
      const rows = await db().changeOutcome.findMany({
        where: { tableName: 'inventory_levels', rowKey: JSON.stringify([storeId, sku]), subProcessor: 'availability-sync', outcome: 'signalled' },
        orderBy: { id: 'asc' },
      });
      return rows.length >= 2 ? rows : undefined;
    });
    const workflowId = streamWorkflowId('availability-sync', storeId);
    expect(outcomes.at(-1)).toMatchObject({ workflowId, topic: 'inventory_levels' });
    const applied = await eventually('the sale to be applied', () =>
      db().streamApplied.findFirst({ where: { subProcessor: 'availability-sync', tableName: 'inventory_levels', rowKey: JSON.stringify([storeId, sku]), updated: outcomes.at(-1)?.updated } }),
    );
    expect(applied).toMatchObject({ workflowId });
    expect(Number(applied.latencyMs)).toBeLessThan(30_000);
    const running = await temporal().workflow.getHandle(workflowId).describe();
    expect(running.status.name).toBe('RUNNING');
    // The signalled outcome names the run its signal reached: the one that applied it.
    expect(outcomes.at(-1)?.runId).toBe(applied.runId);
    expect(applied.runId).toBe(running.runId);
    expect(sold.onHand).toBe(0);

    await adjustStock(db(), { storeId, sku, delta: 10, reason: 'receive' }, associate);
    await eventually('the SKU to be back in stock', async () => (await availability())?.available === true);
    await eventually('the replenishment suggestion to close', async () => (await suggestion())?.status === 'closed');
  });

  it('writes off a lot received already expired', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const before = (await db().inventoryLevel.findUniqueOrThrow({ where: { storeId_sku: { storeId, sku } } })).onHand;
    const { lotId } = await receiveLot(db(), { storeId, sku, quantity: 4, expiresOn: yesterday }, associate);

    const writeOff = await eventually('the expired lot to be written off', () => db().expiryWriteOff.findUnique({ where: { lotId } }));
    expect(writeOff).toMatchObject({ quantity: 4, storeId, sku });
    expect(await db().inventoryLot.findUniqueOrThrow({ where: { lotId } })).toMatchObject({ quantity: 0 });
    expect((await db().inventoryLevel.findUniqueOrThrow({ where: { storeId_sku: { storeId, sku } } })).onHand).toBe(before);
  });

  it('re-drives a touched row through every sub-processor of its table', async () => {
    const rowKey = JSON.stringify([storeId, sku]);
    const since = new Date();
    await touchRows(db(), { table: 'inventory_levels', storeId, skus: [sku] }, associate, 'pipeline test re-drive');
    const redriven = await eventually('both level sub-processors to apply the touch', async () => {
      const rows = await db().streamApplied.findMany({ where: { tableName: 'inventory_levels', rowKey, appliedAt: { gte: since } } });
      const names = new Set(rows.map((row) => row.subProcessor));
      return names.has('availability-sync') && names.has('low-stock-replenishment') ? names : undefined;
    });
    expect([...redriven].sort()).toEqual(['availability-sync', 'low-stock-replenishment']);
  });
});
