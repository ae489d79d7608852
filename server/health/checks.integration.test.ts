import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { checkKafka, checkPostgres, checkTemporal, checkWorker } from './checks.ts';

const workerId = `health-test-${randomUUID()}`;

afterAll(async () => {
  await db().workerHeartbeat.deleteMany({ where: { workerId } });
  await db().$disconnect();
});

it('reports Postgres, Kafka and Temporal healthy with what each said', async () => {
  const [postgres, kafka, temporal] = await Promise.all([checkPostgres(), checkKafka(), checkTemporal()]);
  expect(postgres).toMatchObject({ service: 'postgres', ok: true });
  expect(postgres.detail).toContain('wal_level=logical');
  expect(kafka).toMatchObject({ service: 'kafka', ok: true });
  expect(kafka.detail).toMatch(/^1 broker\(s\)/);
  expect(temporal).toMatchObject({ service: 'temporal', ok: true });
});

it('reports the worker down when its heartbeat is stale and up when it is fresh', async () => {
  // Other tests' heartbeats would mask this one: this file runs alone (integration files are serial).
  await db().workerHeartbeat.deleteMany({});
  const stale = new Date(Date.now() - 10 * 60_000);
  await db().workerHeartbeat.create({
    data: { workerId, hostname: 'test', pid: 1, startedAt: stale, lastSeenAt: stale, services: {} },
  });
  const down = await checkWorker();
  expect(down.ok).toBe(false);
  expect(down.error).toMatch(/Last worker heartbeat was \d+ s ago/);

  await db().workerHeartbeat.update({ where: { workerId }, data: { lastSeenAt: new Date() } });
  const up = await checkWorker();
  expect(up).toMatchObject({ service: 'worker', ok: true });
});
