import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { getPipelineHealth } from './pipeline-health.ts';
import { getSlotLag, slotHealth } from './slot-lag.ts';

const slotName = `slot_test_${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  await db().$executeRaw`SELECT pg_create_logical_replication_slot(${slotName}, 'pgoutput')`;
});
afterAll(async () => {
  await db().$executeRaw`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${slotName}`;
  await db().$disconnect();
});

describe('getSlotLag', () => {
  it('reads a real slot: not connected, its WAL reserved, the headroom max_slot_wal_keep_size leaves', async () => {
    const [{ keep }] = await db().$queryRaw<[{ keep: string }]>`SELECT current_setting('max_slot_wal_keep_size') AS keep`;
    const slot = await getSlotLag(db(), slotName);
    expect(slot).toMatchObject({ slotName, active: false, walStatus: 'reserved', invalidationReason: null, confirmedFlushLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/) as unknown });
    expect(slot!.lagBytes).toBeGreaterThanOrEqual(0);
    // Unlimited (-1) leaves no safe size; a limit leaves some of it while the slot is this fresh.
    if (keep === '-1') expect(slot!.safeWalBytes).toBeNull();
    else expect(slot!.safeWalBytes).toBeGreaterThan(0);
    expect(slotHealth(slotName, slot)).toMatchObject({ state: 'not_connected', level: 'warn' });
  });

  it('answers null for a slot that does not exist', async () => {
    expect(await getSlotLag(db(), `${slotName}_missing`)).toBeNull();
  });
});

describe('getPipelineHealth', () => {
  it('reports the slot it is given live: present, missing, or none where the relay is off', async () => {
    expect((await getPipelineHealth(db(), { slotName })).slot).toMatchObject({ slotName, state: 'not_connected', reading: { active: false } });
    expect((await getPipelineHealth(db(), { slotName: `${slotName}_missing` })).slot).toMatchObject({ state: 'missing', level: 'error' });
    expect((await getPipelineHealth(db(), { slotName: null })).slot).toMatchObject({ state: 'off', reading: null });
  });
});
