import os from 'node:os';
import type { Prisma } from '../server/db/generated/client.ts';
import { db } from '../server/db/client.ts';
import { checkKafka, checkPostgres, checkTemporal, type HealthCheck } from '../server/health/checks.ts';
import { logger } from '../server/logger.ts';

const log = logger.child({ component: 'heartbeat' });

/**
 * Writes this worker's liveness, and what it sees of each service, to `worker_heartbeats` on an interval.
 * The console's worker health check reads it, so a heartbeat is only as good as the worker's own view.
 */
export function startHeartbeat({ workerId, intervalMs }: { workerId: string; intervalMs: number }): {
  stop(): Promise<void>;
} {
  const startedAt = new Date();
  let running: Promise<void> = Promise.resolve();

  const beat = async () => {
    const checks = await Promise.all([checkPostgres(), checkKafka(), checkTemporal()]);
    const services = Object.fromEntries(
      checks.map((check: HealthCheck) => [check.service, { ok: check.ok, error: check.error ?? null }]),
    ) as Prisma.InputJsonObject;
    const now = new Date();
    try {
      await db().workerHeartbeat.upsert({
        where: { workerId },
        create: { workerId, hostname: os.hostname(), pid: process.pid, startedAt, lastSeenAt: now, services },
        update: { lastSeenAt: now, services },
      });
    } catch (err) {
      log.error({ err }, 'heartbeat write failed');
      return;
    }
    const down = checks.filter((check) => !check.ok);
    if (down.length > 0) log.warn({ down }, 'heartbeat: some services are down');
    else log.debug('heartbeat');
  };

  running = beat();
  const timer = setInterval(() => {
    running = running.then(beat);
  }, intervalMs);

  return {
    async stop() {
      clearInterval(timer);
      await running;
      // A clean shutdown removes the row, so the console reports the worker gone at once, not after it goes stale.
      await db().workerHeartbeat.deleteMany({ where: { workerId } });
    },
  };
}
