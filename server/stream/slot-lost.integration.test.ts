import fs from 'node:fs';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres } from '../../scripts/stack/postgres.ts';
import { dataRoot, repoRoot } from '../../scripts/stack/paths.ts';
import { firstFreePort } from '../../scripts/stack/ports.ts';
import type { ServiceHandle } from '../../scripts/stack/service.ts';
import { Supervisor } from '../../scripts/stack/supervisor.ts';
import { ensureSlot } from '../../worker/cdc/setup.ts';
import { PrismaClient } from '../db/generated/client.ts';
import { applyMigrations } from '../db/migrate.ts';
import { getPipelineHealth } from './pipeline-health.ts';
import { getSlotLag, slotHealth } from './slot-lag.ts';

// A slot really invalidated by Postgres. Not on the shared test stack, whose relay slot must survive: on a Postgres of
// this file's own, started by the stack's helper with the smallest cap it takes (16MB, one WAL segment).
const dataDir = path.join(dataRoot, 'slot-lost-test');
const CAP = '16MB';
const SLOT = 'dashops_cdc_lost_test';

const supervisor = new Supervisor();
let postgres: ServiceHandle | undefined;
let prisma: PrismaClient;
let client: pg.Client;

beforeAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  const port = await firstFreePort(57433);
  const before = process.env.POSTGRES_MAX_SLOT_WAL_KEEP_SIZE;
  process.env.POSTGRES_MAX_SLOT_WAL_KEEP_SIZE = CAP;
  try {
    postgres = await startPostgres(supervisor, { port, dataDir: path.join(dataDir, 'postgres'), logFile: path.join(dataDir, 'postgres.log'), database: 'dashops' });
  } finally {
    if (before === undefined) delete process.env.POSTGRES_MAX_SLOT_WAL_KEEP_SIZE;
    else process.env.POSTGRES_MAX_SLOT_WAL_KEEP_SIZE = before;
  }
  const url = postgres.env.DATABASE_URL!;
  // getPipelineHealth reads pipeline_samples too.
  await applyMigrations({ connectionString: url, migrationsDir: path.join(repoRoot, 'prisma', 'migrations') });
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  client = new pg.Client({ connectionString: url });
  await client.connect();
}, 120_000);

afterAll(async () => {
  await client?.end();
  await prisma?.$disconnect();
  await postgres?.stop();
  await supervisor.stopAll();
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('a replication slot that outgrows max_slot_wal_keep_size', () => {
  it('is reported at risk, then lost with the way back, and the way back works', async () => {
    const show = await client.query<{ max_slot_wal_keep_size: string }>('SHOW max_slot_wal_keep_size');
    expect(show.rows[0]!.max_slot_wal_keep_size).toBe(CAP);

    expect(await ensureSlot(client, SLOT)).toEqual({ created: true });
    const fresh = await getPipelineHealth(prisma, { slotName: SLOT });
    expect(fresh.slot).toMatchObject({ state: 'not_connected', reading: { walStatus: 'reserved', invalidationReason: null } });
    expect(fresh.slot.reading!.safeWalBytes).toBeGreaterThan(0);
    // Postgres counts the cap in whole segments from the one the write position is in: at most the cap plus one segment.
    expect(fresh.slot.reading!.safeWalBytes).toBeLessThanOrEqual(2 * 16 * 1024 * 1024);

    // Each switch starts a new 16MB segment; the slot, never read, keeps needing the one it was created in.
    await client.query('CREATE TABLE filler (n int)');
    let reading = await getSlotLag(prisma, SLOT);
    for (let round = 0; round < 10 && reading?.walStatus !== 'unreserved'; round++) {
      await client.query('INSERT INTO filler SELECT generate_series(1, 100)');
      await client.query('SELECT pg_switch_wal()');
      reading = await getSlotLag(prisma, SLOT);
    }
    expect(reading).toMatchObject({ walStatus: 'unreserved', invalidationReason: null });
    expect(reading!.lagBytes).toBeGreaterThan(16 * 1024 * 1024);
    expect(slotHealth(SLOT, reading)).toMatchObject({ state: 'at_risk', level: 'error' });

    // The checkpoint removes the WAL past the cap and invalidates the slot.
    await client.query('CHECKPOINT');
    const lost = (await getPipelineHealth(prisma, { slotName: SLOT })).slot;
    expect(lost).toMatchObject({ slotName: SLOT, state: 'lost', level: 'error', reading: { walStatus: 'lost', invalidationReason: 'wal_removed' } });
    expect(lost.summary).toContain('max_slot_wal_keep_size');
    expect(lost.recovery).toHaveLength(3);
    expect(lost.recovery[0]).toContain(`SELECT pg_drop_replication_slot('${SLOT}');`);
    expect(lost.recovery[1]).toMatch(/creates the slot again/);
    expect(lost.recovery[2]).toMatch(/Re-drive rows/);

    // As the summary says: nothing streams from it any more, and a worker restart alone finds it and creates nothing.
    await expect(
      client.query(`SELECT * FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', 'none')`, [SLOT]),
    ).rejects.toThrow(/can no longer|invalidated/);
    expect(await ensureSlot(client, SLOT)).toEqual({ created: false });

    // The recovery as written: the drop statement from step 1, then the relay's own slot creation (step 2).
    await client.query(/SELECT pg_drop_replication_slot\('[^']+'\);/.exec(lost.recovery[0]!)![0]);
    expect((await getPipelineHealth(prisma, { slotName: SLOT })).slot).toMatchObject({ state: 'missing', level: 'error' });
    expect(await ensureSlot(client, SLOT)).toEqual({ created: true });
    expect((await getPipelineHealth(prisma, { slotName: SLOT })).slot).toMatchObject({
      state: 'not_connected',
      reading: { walStatus: 'reserved', invalidationReason: null },
    });
  });
});

