import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentiles, startBenchRun } from './stack/bench.ts';
import { dataRoot } from './stack/paths.ts';
import { startServices } from './stack/services.ts';

/**
 * `npm run bench:stream`: end-to-end latency of the inventory change stream on real services it starts
 * itself (own ports and data dir). Each iteration sells a SKU out or restocks it through the write path and
 * times until the customer-facing availability flag flips: Postgres commit → pgoutput → relay → Kafka →
 * processor → sub-processor → SignalWithStart → stream workflow → activity → catalog_availability.
 * The last line is JSON: {"visible":{p50,p95,p99},"signalled":{p50,p95,p99},"iterations":N} in ms.
 */
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const WARMUP = 10;
const dataDir = path.join(dataRoot, 'bench-stream');

async function main(): Promise<void> {
  const bench = startBenchRun('bench:stream', dataDir);
  const { supervisor, cleanups, teardown } = bench;

  try {
    console.log('bench:stream: starting Postgres, Kafka and Temporal on bench ports');
    const services = (bench.services = await startServices(supervisor, {
      dataDir,
      ports: { console: 0, postgres: 48433, kafka: 48092, kafkaController: 48093, temporal: 48233, temporalUi: undefined, sandbox: 0 },
      persistentTemporal: false,
      withTestServer: false,
    }));
    Object.assign(process.env, services.env, { LOG_LEVEL: 'warn' });

    const { prepareDatabase } = await import('./stack/database.ts');
    await prepareDatabase();
    const { DefaultLogger, NativeConnection, Runtime, Worker } = await import('@temporalio/worker');
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const { db } = await import('../server/db/client.ts');
    const { kafkaAdmin, kafkaProducer } = await import('../server/kafka/client.ts');
    const { logger } = await import('../server/logger.ts');
    const { temporal } = await import('../server/temporal/client.ts');
    const { TASK_QUEUES } = await import('../server/temporal/contract.ts');
    const { adjustStock } = await import('../server/inventory/stock.ts');
    const { createActivities } = await import('../worker/activities/index.ts');
    const { startInventoryStream } = await import('../worker/inventory-stream.ts');

    const connection = await NativeConnection.connect({ address: services.env.TEMPORAL_ADDRESS ?? '' });
    const worker = await Worker.create({
      connection,
      taskQueue: TASK_QUEUES.stream,
      workflowsPath: fileURLToPath(new URL('../worker/workflows/index.ts', import.meta.url)),
      activities: createActivities({ workerId: 'bench', db: db() }),
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
      await connection.close();
    });
    const stream = await startInventoryStream({
      connectionString: services.env.DATABASE_URL ?? '',
      producer: await kafkaProducer(),
      db: db(),
      temporal: temporal(),
      log: logger,
      relay: { enabled: true, slotName: 'bench_stream', publicationName: 'bench_stream', resolvedIntervalMs: 5000 },
      groupPrefix: 'bench-stream',
    });
    cleanups.push(() => stream.stop());

    const admin = await kafkaAdmin();
    for (;;) {
      const { groups } = await admin.describeGroups(stream.processors.consumers.map((consumer) => consumer.groupId));
      if (groups.every((group) => group.state === 'Stable')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const storeId = 'SF-001';
    const sku = 'PNT-PASTA-PENNE';
    const actor = { id: 'bench', role: 'associate' } as const;
    const visible: number[] = [];
    const since = new Date();
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      const current = (await db().inventoryLevel.findUniqueOrThrow({ where: { storeId_sku: { storeId, sku } } })).onHand;
      const soldOut = current > 0;
      await adjustStock(db(), { storeId, sku, delta: soldOut ? -current : 10, reason: soldOut ? 'sale' : 'receive' }, actor);
      const committed = performance.now();
      for (;;) {
        const rows = await db().$queryRaw<{ available: boolean }[]>`
          SELECT available FROM catalog_availability WHERE store_id = ${storeId} AND sku = ${sku}`;
        if (rows[0]?.available === !soldOut) break;
        if (performance.now() - committed > 30_000) throw new Error(`iteration ${i}: availability did not flip within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      if (i >= WARMUP) visible.push(performance.now() - committed);
      if ((i + 1) % 50 === 0) console.log(`  ${i + 1}/${WARMUP + ITERATIONS} changes, last ${visible.at(-1)?.toFixed(1)} ms`);
    }
    const outcomes = await db().changeOutcome.findMany({
      where: { subProcessor: 'availability-sync', tableName: 'inventory_levels', createdAt: { gte: since }, outcome: 'applied' },
      select: { latencyMs: true },
    });
    const signalled = outcomes.slice(WARMUP).flatMap((row) => (row.latencyMs === null ? [] : [row.latencyMs]));
    await db().$disconnect();
    const result = { visible: percentiles(visible), signalled: percentiles(signalled), iterations: ITERATIONS };
    console.log('commit → availability visible (ms):', result.visible);
    console.log('commit → sub-processor signalled its workflow (ms):', result.signalled);
    await teardown();
    console.log(JSON.stringify(result));
    process.exit(0);
  } catch (err) {
    console.error('bench:stream failed:', err);
    await teardown();
    process.exit(1);
  }
}

void main();
