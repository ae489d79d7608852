import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { db } from '../server/db/client.ts';
import { env } from '../server/env.ts';
import { kafkaAdmin } from '../server/kafka/client.ts';
import { logger } from '../server/logger.ts';
import { TASK_QUEUES } from '../server/temporal/contract.ts';
import { createActivities } from './activities/index.ts';
import { startHeartbeat } from './heartbeat.ts';

const log = logger.child({ component: 'worker' });

async function main(): Promise<void> {
  const config = env();
  const workerId = `${os.hostname()}-${process.pid}`;

  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  await db().$queryRaw`SELECT 1`;
  await kafkaAdmin();
  log.info({ workerId, temporal: config.TEMPORAL_ADDRESS, kafka: config.KAFKA_BROKERS }, 'connected to Postgres, Kafka and Temporal');

  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: TASK_QUEUES.default,
    workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
    activities: createActivities({ workerId }),
  });
  const heartbeat = startHeartbeat({ workerId, intervalMs: config.WORKER_HEARTBEAT_INTERVAL_MS });

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    worker.shutdown();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  log.info({ taskQueue: TASK_QUEUES.default }, 'worker running');
  try {
    await worker.run();
  } finally {
    await heartbeat.stop().catch((err: unknown) => log.error({ err }, 'heartbeat stop failed'));
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
