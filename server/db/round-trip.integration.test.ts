import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { db } from './client.ts';

afterAll(async () => {
  await db().$disconnect();
});

it('writes a row through Prisma and the pg adapter and reads it back', async () => {
  const actor = `test-${randomUUID()}`;
  const written = await db().auditLog.create({
    data: { actor, actorRole: 'engineer', action: 'test.round_trip', target: 'audit_log', reason: 'integration test', details: { n: 1 } },
  });

  const read = await db().auditLog.findMany({ where: { actor } });
  expect(read).toHaveLength(1);
  expect(read[0]).toMatchObject({ id: written.id, action: 'test.round_trip', reason: 'integration test', details: { n: 1 } });
  expect(read[0]?.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
});

it('has seeded believable demo data that a second seed leaves alone', async () => {
  const { seedDemoData } = await import('./seed.ts');
  const before = await db().inventoryLevel.count();
  expect(before).toBeGreaterThan(50);
  const again = await seedDemoData(db());
  expect(Object.values(again).every((count) => count === 0)).toBe(true);
  expect(await db().inventoryLevel.count()).toBe(before);
});
