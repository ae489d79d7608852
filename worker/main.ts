import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { CARD_LINK_TASK_QUEUE } from '../server/card-link/contract.ts';
import { db } from '../server/db/client.ts';
import { env } from '../server/env.ts';
import { kafkaAdmin, kafkaProducer } from '../server/kafka/client.ts';
import { logger } from '../server/logger.ts';
import { temporal } from '../server/temporal/client.ts';
import { TASK_QUEUES } from '../server/temporal/contract.ts';
import { createActivities } from './activities/index.ts';
import { startHeartbeat } from './heartbeat.ts';
import { startInventoryStream } from './inventory-stream.ts';
import { startPipelineSampler } from './pipeline-sampler.ts';
import { ensureSchedules } from './schedules.ts';

const log = logger.child({ component: 'worker' });

async function main(): Promise<void> {
  const config = env();
  const workerId = `${os.hostname()}-${process.pid}`;

  if (config.WORKER_METRICS_ADDRESS) {
    // Temporal Core's own worker metrics (task slots, schedule-to-start, poll and RPC latencies, sticky cache):
    // what an on-call looks at first when workflows slow down. Must be installed before the first connection.
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: config.WORKER_METRICS_ADDRESS } } } });
  }
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  await db().$queryRaw`SELECT 1`;
  await kafkaAdmin();
  const producer = await kafkaProducer();
  log.info({ workerId, temporal: config.TEMPORAL_ADDRESS, kafka: config.KAFKA_BROKERS }, 'connected to Postgres, Kafka and Temporal');
  if (config.WORKER_METRICS_ADDRESS) log.info({ metrics: `http://${config.WORKER_METRICS_ADDRESS}/metrics` }, 'serving Temporal worker metrics');

  // One bundle serves both task queues; bundling is the slow part of a worker's start.
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
    logger: undefined,
  });
  const activities = createActivities({ workerId, db: db() });
  const workers = await Promise.all(
    [TASK_QUEUES.default, TASK_QUEUES.stream, CARD_LINK_TASK_QUEUE].map((taskQueue) =>
      Worker.create({ connection, namespace: config.TEMPORAL_NAMESPACE, taskQueue, workflowBundle, activities }),
    ),
  );
  await ensureSchedules(temporal(), log);

  const stream = await startInventoryStream({
    connectionString: config.DATABASE_URL,
    producer,
    db: db(),
    temporal: temporal(),
    log,
    relay: {
      enabled: config.CDC_RELAY === 'on',
      slotName: config.CDC_SLOT_NAME,
      publicationName: config.CDC_PUBLICATION_NAME,
      resolvedIntervalMs: config.CDC_RESOLVED_INTERVAL_MS,
    },
    groupPrefix: config.PROCESSOR_GROUP_PREFIX,
  });
  const heartbeat = startHeartbeat({ workerId, intervalMs: config.WORKER_HEARTBEAT_INTERVAL_MS });
  const sampler = startPipelineSampler({
    db: db(),
    admin: kafkaAdmin,
    temporal: temporal(),
    log,
    slotName: config.CDC_RELAY === 'on' ? config.CDC_SLOT_NAME : null,
    groupPrefix: config.PROCESSOR_GROUP_PREFIX,
    taskQueue: TASK_QUEUES.stream,
    namespace: config.TEMPORAL_NAMESPACE,
  });

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    for (const worker of workers) worker.shutdown();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  log.info({ taskQueues: Object.values(TASK_QUEUES), relay: config.CDC_RELAY }, 'worker running');
  try {
    // If one task queue's worker fails, stop the other too rather than run half a worker.
    await Promise.all(
      workers.map((worker) =>
        worker.run().catch((err: unknown) => {
          shutdown('a Temporal worker failed');
          throw err;
        }),
      ),
    );
  } finally {
    await sampler.stop();
    await stream.stop().catch((err: unknown) => log.error({ err }, 'stopping the inventory stream failed'));
    await heartbeat.stop().catch((err: unknown) => log.error({ err }, 'heartbeat stop failed'));
    await producer.disconnect().catch(() => undefined);
    await (await kafkaAdmin()).disconnect().catch(() => undefined);
    await db().$disconnect();
    await connection.close();
  }
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'worker failed');
  process.exit(1);
});
