import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxSlotWalKeepSize } from '../../scripts/stack/postgres.ts';
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

// What scripts/stack/postgres.ts passes to the test stack's Postgres (POSTGRES_MAX_SLOT_WAL_KEEP_SIZE, default 2GB).
const configuredKeep = maxSlotWalKeepSize(process.env.POSTGRES_MAX_SLOT_WAL_KEEP_SIZE);

describe('the embedded Postgres', () => {
  it('runs with the max_slot_wal_keep_size the stack configures', async () => {
    // Postgres shows a size in its own largest whole unit (2048MB as 2GB) and a bare number as MB: compared in MB,
    // converted by Postgres itself rather than by the code under test.
    const [row] = await db().$queryRaw<[{ setting: string; unit: string; expected_mb: number | null }]>`
      SELECT setting, unit,
             CASE WHEN ${configuredKeep} = '-1' THEN -1
                  ELSE pg_size_bytes(CASE WHEN ${configuredKeep} ~ '^[0-9]+$' THEN ${configuredKeep} || 'MB' ELSE ${configuredKeep} END) / 1048576
             END::float8 AS expected_mb
      FROM pg_settings WHERE name = 'max_slot_wal_keep_size'`;
    expect(row).toMatchObject({ unit: 'MB', setting: String(row.expected_mb) });
    if (process.env.POSTGRES_MAX_SLOT_WAL_KEEP_SIZE === undefined) {
      const [{ shown }] = await db().$queryRaw<[{ shown: string }]>`SELECT current_setting('max_slot_wal_keep_size') AS shown`;
      expect(shown).toBe('2GB');
    }
  });
});

describe('getSlotLag', () => {
  it('reads a real slot: not connected, its WAL reserved, the headroom max_slot_wal_keep_size leaves', async () => {
    const slot = await getSlotLag(db(), slotName);
    expect(slot).toMatchObject({ slotName, active: false, walStatus: 'reserved', invalidationReason: null, confirmedFlushLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/) as unknown });
    expect(slot!.lagBytes).toBeGreaterThanOrEqual(0);
    // Unlimited (-1) leaves no safe size; a limit leaves some of it while the slot is this fresh.
    if (configuredKeep === '-1') expect(slot!.safeWalBytes).toBeNull();
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
