import { db } from '../db/client.ts';
import { env } from '../env.ts';
import { kafkaAdmin } from '../kafka/client.ts';
import { temporal } from '../temporal/client.ts';

export type ServiceName = 'postgres' | 'kafka' | 'temporal' | 'worker';

export interface HealthCheck {
  service: ServiceName;
  ok: boolean;
  latencyMs: number;
  /** What a healthy service told us (version, broker count, …). */
  detail?: string;
  /** Why the service is considered down. */
  error?: string;
}

export interface HealthReport {
  ok: boolean;
  checkedAt: string;
  checks: HealthCheck[];
}

/** GET /api/health to anyone: up only when every check passed (200), else down (503). */
export interface PublicHealthResponse {
  status: 'up' | 'down';
}

/** GET /api/health to a signed-in user: the status with the whole report (also on 503). */
export type HealthResponse = PublicHealthResponse & HealthReport;

const CHECK_TIMEOUT_MS = 4000;

async function timed(service: ServiceName, probe: () => Promise<string>): Promise<HealthCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { service, ok: true, latencyMs: Math.round(performance.now() - started), detail };
  } catch (err) {
    const error = describeError(err);
    return { service, ok: false, latencyMs: Math.round(performance.now() - started), error };
  } finally {
    clearTimeout(timer);
  }
}

/** Prisma prefixes errors with a multi-line invocation excerpt; the last line is the one a person needs. */
function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.at(-1) ?? 'unknown error';
}

export function checkPostgres(): Promise<HealthCheck> {
  return timed('postgres', async () => {
    const [row] = await db().$queryRaw<{ version: string; wal_level: string }[]>`
      SELECT current_setting('server_version') AS version, current_setting('wal_level') AS wal_level`;
    return `PostgreSQL ${row?.version}, wal_level=${row?.wal_level}`;
  });
}

export function checkKafka(): Promise<HealthCheck> {
  return timed('kafka', async () => {
    const cluster = await (await kafkaAdmin()).describeCluster();
    return `${cluster.brokers.length} broker(s), controller ${cluster.controller ?? 'unknown'}`;
  });
}

export function checkTemporal(): Promise<HealthCheck> {
  return timed('temporal', async () => {
    const info = await temporal().workflowService.getSystemInfo({});
    return `server ${info.serverVersion || 'unknown version'}, namespace ${env().TEMPORAL_NAMESPACE}`;
  });
}

/** The worker is up when some worker process has written a heartbeat recently. */
export function checkWorker(): Promise<HealthCheck> {
  return timed('worker', async () => {
    const staleAfter = env().WORKER_STALE_AFTER_MS;
    const latest = await db().workerHeartbeat.findMany({ orderBy: { lastSeenAt: 'desc' }, take: 20 });
    const newest = latest[0];
    if (!newest) throw new Error('No worker has reported a heartbeat yet. Start one with `npm run dev:worker`.');
    const ageMs = Date.now() - newest.lastSeenAt.getTime();
    if (ageMs > staleAfter) {
      throw new Error(`Last worker heartbeat was ${Math.round(ageMs / 1000)} s ago (${newest.workerId}).`);
    }
    const live = latest.filter((beat) => Date.now() - beat.lastSeenAt.getTime() <= staleAfter).length;
    return `${live} worker(s) live, last heartbeat ${Math.round(ageMs / 1000)} s ago from ${newest.hostname}`;
  });
}

export async function checkAll(): Promise<HealthReport> {
  const checks = await Promise.all([checkPostgres(), checkKafka(), checkTemporal(), checkWorker()]);
  return { ok: checks.every((check) => check.ok), checkedAt: new Date().toISOString(), checks };
}
