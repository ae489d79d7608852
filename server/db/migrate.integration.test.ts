import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  applyMigrations,
  FailedMigrationInDatabaseError,
  migrationChecksum,
  MigrationChecksumMismatchError,
  MigrationFailedError,
  type MigrationRow,
} from './migrate.ts';

const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../prisma/migrations');
const MIGRATION_NAMES = fs
  .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort((a, b) => a.localeCompare(b));

let adminUrl: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must point at a Postgres server (see scripts/test.ts).');
  adminUrl = process.env.DATABASE_URL;
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh, empty database for one test, dropped after it. */
async function throwawayDatabase(): Promise<string> {
  const name = `migrate_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  cleanups.push(async () => {
    const dropper = new pg.Client({ connectionString: adminUrl });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A scratch copy of prisma/migrations that a test may edit or add to. */
function copyOfMigrations(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrate-test-'));
  fs.cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function addMigration(dir: string, name: string, sql: string): void {
  fs.mkdirSync(path.join(dir, name));
  fs.writeFileSync(path.join(dir, name, 'migration.sql'), sql);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

interface MigrationRowRead extends MigrationRow {
  applied_steps_count: number;
}

const migrationRows = (url: string) => query<MigrationRowRead>(url, 'SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name');

describe('applyMigrations', () => {
  test('applies every migration to an empty database, in order', async () => {
    const url = await throwawayDatabase();
    const { applied } = await applyMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR });
    expect(MIGRATION_NAMES.length).toBeGreaterThan(0);
    expect(applied).toEqual(MIGRATION_NAMES);
    const tables = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['_prisma_migrations', 'stores', 'audit_log']));
  });

  test('applying again is a no-op', async () => {
    const url = await throwawayDatabase();
    await applyMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR });
    const before = await migrationRows(url);
    const messages: string[] = [];
    const again = await applyMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR, log: (m) => messages.push(m) });
    expect(again.applied).toEqual([]);
    expect(messages).toEqual([]);
    expect(await migrationRows(url)).toEqual(before);
  });

  test("records each migration in _prisma_migrations the way Prisma Migrate does", async () => {
    const url = await throwawayDatabase();
    const startedAround = Date.now();
    await applyMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR });

    const rows = await migrationRows(url);
    expect(rows.map((r) => r.migration_name)).toEqual(MIGRATION_NAMES);
    for (const row of rows) {
      const script = fs.readFileSync(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'), 'utf8');
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.checksum).toBe(migrationChecksum(script));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.started_at.getTime()).toBeGreaterThan(startedAround - 60_000);
    }

    // The table itself must be the one Prisma's schema engine creates, or `prisma migrate` would not accept it.
    const columns = await query(
      url,
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', character_maximum_length: 36, is_nullable: 'NO', column_default: null },
      { column_name: 'checksum', data_type: 'character varying', character_maximum_length: 64, is_nullable: 'NO', column_default: null },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', character_maximum_length: null, is_nullable: 'YES', column_default: null },
      { column_name: 'migration_name', data_type: 'character varying', character_maximum_length: 255, is_nullable: 'NO', column_default: null },
      { column_name: 'logs', data_type: 'text', character_maximum_length: null, is_nullable: 'YES', column_default: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', character_maximum_length: null, is_nullable: 'YES', column_default: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', character_maximum_length: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'applied_steps_count', data_type: 'integer', character_maximum_length: null, is_nullable: 'NO', column_default: '0' },
    ]);
    const pk = await query<{ conname: string }>(
      url,
      "SELECT conname FROM pg_constraint WHERE conrelid = '_prisma_migrations'::regclass AND contype = 'p'",
    );
    expect(pk).toEqual([{ conname: '_prisma_migrations_pkey' }]);
  });

  test('two concurrent callers apply each migration exactly once', async () => {
    const url = await throwawayDatabase();
    const dir = copyOfMigrations();
    // Slow enough that both callers are certainly in flight together; CREATE TABLE fails if it runs twice.
    addMigration(dir, '29991231000000_slow', 'SELECT pg_sleep(1);\nCREATE TABLE "slow_marker" ("id" INTEGER NOT NULL);\n');

    const [a, b] = await Promise.all([
      applyMigrations({ connectionString: url, migrationsDir: dir }),
      applyMigrations({ connectionString: url, migrationsDir: dir }),
    ]);
    const all = [...MIGRATION_NAMES, '29991231000000_slow'];
    expect([...a.applied, ...b.applied].sort()).toEqual([...all].sort());
    expect([a.applied, b.applied]).toContainEqual([]);

    const counts = await query<{ migration_name: string; n: number }>(
      url,
      'SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY migration_name ORDER BY migration_name',
    );
    expect(counts).toEqual(all.map((migration_name) => ({ migration_name, n: 1 })));
  });

  test('refuses when an applied migration was edited afterwards', async () => {
    const url = await throwawayDatabase();
    const dir = copyOfMigrations();
    await applyMigrations({ connectionString: url, migrationsDir: dir });

    const first = MIGRATION_NAMES[0]!;
    const file = path.join(dir, first, 'migration.sql');
    const original = fs.readFileSync(file, 'utf8');
    addMigration(dir, '29991231000000_later', 'CREATE TABLE "later" ("id" INTEGER NOT NULL);\n');
    fs.writeFileSync(file, original + '\nCREATE TABLE "sneaky" ("id" INTEGER NOT NULL);\n');

    const attempt = applyMigrations({ connectionString: url, migrationsDir: dir });
    await expect(attempt).rejects.toBeInstanceOf(MigrationChecksumMismatchError);
    await expect(attempt).rejects.toMatchObject({ name: 'MigrationChecksumMismatchError', migrationNames: [first] });
    await expect(attempt).rejects.toThrow(first);
    // Refused before doing anything: the later migration did not run either.
    expect((await migrationRows(url)).map((r) => r.migration_name)).toEqual(MIGRATION_NAMES);

    // Git turning LF into CRLF is not an edit (Prisma accepts it too).
    fs.writeFileSync(file, original.replaceAll('\n', '\r\n'));
    const { applied } = await applyMigrations({ connectionString: url, migrationsDir: dir });
    expect(applied).toEqual(['29991231000000_later']);
  });

  test('a broken migration is recorded as failed, rolled back, and blocks later runs', async () => {
    const url = await throwawayDatabase();
    const dir = copyOfMigrations();
    const broken = '29991231000000_broken';
    addMigration(dir, broken, 'CREATE TABLE "half_done" ("id" INTEGER NOT NULL);\n\nSELECT * FROM "no_such_table";\n');

    const attempt = applyMigrations({ connectionString: url, migrationsDir: dir });
    await expect(attempt).rejects.toBeInstanceOf(MigrationFailedError);
    await expect(attempt).rejects.toMatchObject({ name: 'MigrationFailedError', migrationName: broken, databaseErrorCode: '42P01' });
    await expect(attempt).rejects.toThrow(/no_such_table/);

    const rows = await migrationRows(url);
    expect(rows.map((r) => r.migration_name)).toEqual([...MIGRATION_NAMES, broken]);
    const failed = rows.at(-1)!;
    expect(failed.finished_at).toBeNull();
    expect(failed.rolled_back_at).toBeNull();
    expect(failed.applied_steps_count).toBe(0);
    expect(failed.logs).toContain(broken);
    expect(failed.logs).toContain('relation "no_such_table" does not exist');
    // The migration ran in a transaction: its first statement did not stick.
    expect(await query(url, "SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);

    // Even once the file is fixed, nothing runs until someone resolves the failed row.
    fs.writeFileSync(path.join(dir, broken, 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER NOT NULL);\n');
    const again = applyMigrations({ connectionString: url, migrationsDir: dir });
    await expect(again).rejects.toBeInstanceOf(FailedMigrationInDatabaseError);
    await expect(again).rejects.toThrow(broken);

    // `prisma migrate resolve --rolled-back` marks the row; after that the fixed migration applies.
    await query(url, 'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1', [broken]);
    const { applied } = await applyMigrations({ connectionString: url, migrationsDir: dir });
    expect(applied).toEqual([broken]);
  });

  test('honours ?schema= like Prisma, keeping tables and history in that schema', async () => {
    const plainUrl = await throwawayDatabase();
    const url = new URL(plainUrl);
    url.searchParams.set('schema', 'tenant');
    const { applied } = await applyMigrations({ connectionString: url.toString(), migrationsDir: MIGRATIONS_DIR });
    expect(applied).toEqual(MIGRATION_NAMES);
    const tables = await query<{ schemaname: string }>(
      plainUrl,
      "SELECT DISTINCT schemaname FROM pg_tables WHERE tablename IN ('_prisma_migrations', 'stores')",
    );
    expect(tables).toEqual([{ schemaname: 'tenant' }]);
  });
});
