import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { TASK_QUEUES } from '../server/temporal/contract.ts';
import { registerPartnerRows } from '../server/card-link/partners/partner-rows.ts';
import { partnerRegistry } from '../server/card-link/partners/registry.ts';
import { partnersWithoutWebhookSecret } from '../server/card-link/webhook-signature.ts';
import { db } from '../server/db/client.ts';
import { env, type WorkerRole } from '../server/env.ts';
import { kafkaAdmin, kafkaProducer } from '../server/kafka/client.ts';
import { logger } from '../server/logger.ts';
import { metrics } from '../server/metrics/registry.ts';
import { temporal } from '../server/temporal/client.ts';
import { createActivities } from './activities/index.ts';
import { startHeartbeat } from './heartbeat.ts';
import { startInventoryRelay, startInventoryStream } from './inventory-stream.ts';
import { startMetricsSampler } from './metrics-sampler.ts';
import { freeLoopbackAddress, startMetricsServer } from './metrics-server.ts';
import { startPipelineSampler } from './pipeline-sampler.ts';
import { ensureSchedules } from './schedules.ts';

const log = logger.child({ component: 'worker' });

/** The Temporal worker roles and the task queue each serves. */
const TASK_QUEUE_OF_ROLE = {
  'default-worker': TASK_QUEUES.default,
  'stream-worker': TASK_QUEUES.stream,
  'cardlink-worker': TASK_QUEUES.cardLink,
} as const satisfies Partial<Record<WorkerRole, string>>;

/** One Temporal worker per task queue, sharing one workflow bundle: bundling is the slow part of a worker's start. */
async function startTemporalWorkers(connection: NativeConnection, taskQueues: string[]): Promise<Worker[]> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
    logger: undefined,
  });
  const activities = createActivities({ db: db() });
  return Promise.all(
    taskQueues.map((taskQueue) => Worker.create({ connection, namespace: env().TEMPORAL_NAMESPACE, taskQueue, workflowBundle, activities })),
  );
}

async function main(): Promise<void> {
  const config = env();
  const workerId = `${os.hostname()}-${process.pid}`;
  const roles = new Set(config.WORKER_ROLES);
  const taskQueues: string[] = Object.entries(TASK_QUEUE_OF_ROLE).flatMap(([role, queue]) => (roles.has(role as WorkerRole) ? [queue] : []));
  // Bulk dead-letter operations have their own queue, so a long one never delays the default queue's workflows.
  if (roles.has('default-worker')) taskQueues.push(TASK_QUEUES.deadLetterBulk);
  const relayOn = roles.has('relay') && config.CDC_RELAY === 'on';

  // Temporal Core's own worker metrics (task slots, schedule-to-start, poll and RPC latencies, sticky cache): what an
  // on-call looks at first when workflows slow down. Core exports them on loopback; worker/metrics-server.ts serves
  // them with DashOps's at WORKER_METRICS_ADDRESS. Must be installed before the first connection.
  const coreMetricsAddress = config.WORKER_METRICS_ADDRESS && taskQueues.length > 0 ? await freeLoopbackAddress() : null;
  if (coreMetricsAddress) Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: coreMetricsAddress } } } });
  const connection = taskQueues.length > 0 ? await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS }) : undefined;
  await db().$queryRaw`SELECT 1`;
  await kafkaAdmin();
  const producer = await kafkaProducer();
  log.info({ workerId, roles: [...roles], temporal: config.TEMPORAL_ADDRESS, kafka: config.KAFKA_BROKERS }, 'connected to Postgres, Kafka and Temporal');
  const metricsServer = config.WORKER_METRICS_ADDRESS
    ? await startMetricsServer({ address: config.WORKER_METRICS_ADDRESS, registry: metrics().registry, coreAddress: coreMetricsAddress, log })
    : undefined;
  if (metricsServer) log.info({ metrics: metricsServer.url }, 'serving Prometheus metrics (DashOps and Temporal Core)');
  const registered = await registerPartnerRows(db());
  if (registered.length > 0) log.info({ partners: registered }, 'registered partners without a row in the partners table');
  const unsigned = partnersWithoutWebhookSecret(partnerRegistry, config.PARTNER_WEBHOOK_SECRETS);
  if (unsigned.length > 0) log.warn({ partners: unsigned }, `no webhook secret for partner(s) ${unsigned.join(', ')} in PARTNER_WEBHOOK_SECRETS: the console refuses their webhooks (401)`);

  const workers = connection ? await startTemporalWorkers(connection, taskQueues) : [];
  // The schedule starts its workflow on the default queue: the replicas serving that queue keep it.
  if (roles.has('default-worker')) await ensureSchedules(temporal(), log);

  const relay = { enabled: relayOn, slotName: config.CDC_SLOT_NAME, publicationName: config.CDC_PUBLICATION_NAME, resolvedIntervalMs: config.CDC_RESOLVED_INTERVAL_MS };
  const stream = roles.has('processors')
    ? await startInventoryStream({ connectionString: config.DATABASE_URL, producer, db: db(), temporal: temporal(), log, relay, groupPrefix: config.PROCESSOR_GROUP_PREFIX })
    : relayOn
      ? await startInventoryRelay({ connectionString: config.DATABASE_URL, producer, log, relay })
      : undefined;
  const relayHandle = stream && 'processors' in stream ? stream.relay : stream;
  const metricsSampler = metricsServer
    ? startMetricsSampler({
        db: db(),
        admin: kafkaAdmin,
        log,
        slotName: config.CDC_RELAY === 'on' ? config.CDC_SLOT_NAME : null,
        groupPrefix: config.PROCESSOR_GROUP_PREFIX,
        relayStatus: relayHandle ? () => relayHandle.status() : undefined,
      })
    : undefined;
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

  // Resolved by a signal or a failing Temporal worker; a worker with no Temporal role runs until then.
  let requestStop = () => {};
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    requestStop();
    for (const worker of workers) worker.shutdown();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  log.info({ roles: [...roles], taskQueues, relay: relayOn ? 'on' : 'off', processors: roles.has('processors') }, 'worker running');
  try {
    // If one task queue's worker fails, stop the others too rather than run half a worker.
    await Promise.all([
      stopRequested,
      ...workers.map((worker) =>
        worker.run().catch((err: unknown) => {
          shutdown('a Temporal worker failed');
          throw err;
        }),
      ),
    ]);
  } finally {
    await sampler.stop();
    await metricsSampler?.stop();
    await metricsServer?.stop().catch((err: unknown) => log.error({ err }, 'stopping the metrics server failed'));
    await stream?.stop().catch((err: unknown) => log.error({ err }, 'stopping the inventory stream failed'));
    await heartbeat.stop().catch((err: unknown) => log.error({ err }, 'heartbeat stop failed'));
    await producer.disconnect().catch(() => undefined);
    await (await kafkaAdmin()).disconnect().catch(() => undefined);
    await db().$disconnect();
    await connection?.close();
  }
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'worker failed');
  process.exit(1);
});
