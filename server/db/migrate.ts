// Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's schema-engine binary (its
// download host is unreachable from CI and developer machines). The bookkeeping in _prisma_migrations is kept
// byte-compatible with Prisma Migrate, so a real `prisma migrate status/deploy` later sees the same history.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export interface ApplyMigrationsOptions {
  connectionString: string;
  /** Folder holding `<name>/migration.sql` folders and migration_lock.toml, e.g. prisma/migrations. */
  migrationsDir: string;
  log?: (message: string) => void;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations this call applied, in the order applied. */
  applied: string[];
}

export class MigrationsDirectoryError extends Error {
  override name = 'MigrationsDirectoryError';
}

/** A migration failed to apply; its row in _prisma_migrations is left unfinished with the error in `logs`. */
export class MigrationFailedError extends Error {
  override name = 'MigrationFailedError';
  constructor(
    readonly migrationName: string,
    readonly databaseErrorCode: string | undefined,
    readonly databaseError: string,
  ) {
    super(`Migration \`${migrationName}\` failed to apply (database error ${databaseErrorCode ?? 'unknown'}):\n${databaseError}`);
  }
}

/** The database records a migration that started and never finished; a person has to resolve it first. */
export class FailedMigrationInDatabaseError extends Error {
  override name = 'FailedMigrationInDatabaseError';
  constructor(readonly failed: { migrationName: string; startedAt: Date; logs: string | null }[]) {
    super(
      'The database has failed migrations, so no new migrations will be applied. Fix the database by hand, then mark ' +
        'each one with `prisma migrate resolve --applied|--rolled-back <name>` (or delete its _prisma_migrations row).\n' +
        failed
          .map((m) => {
            const logs = m.logs?.trim();
            return `The \`${m.migrationName}\` migration started at ${m.startedAt.toISOString()} failed${logs ? ` with the following logs:\n${logs}` : ''}`;
          })
          .join('\n'),
    );
  }
}

/** A migration file was edited after it was applied, so the database no longer matches what the folder says. */
export class MigrationChecksumMismatchError extends Error {
  override name = 'MigrationChecksumMismatchError';
  constructor(readonly migrationNames: string[]) {
    super(
      `These migrations were modified after they were applied to the database: ${migrationNames.join(', ')}. ` +
        'Restore the applied migration.sql and put the change in a new migration instead.',
    );
  }
}

// The number Prisma Migrate locks on; sharing it keeps this runner and `prisma migrate` from racing each other.
const PRISMA_MIGRATE_LOCK_ID = 72707369;

// Exactly the DDL Prisma's schema engine uses, so `prisma migrate` accepts a table created here.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

interface MigrationOnDisk {
  name: string;
  script: string;
}

/** A row of Prisma's `_prisma_migrations`, as far as this runner reads it. */
export interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
}

export function migrationChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

// Like Prisma: git may have rewritten line endings since the migration was applied, which is not an edit.
function scriptMatchesChecksum(script: string, checksum: string): boolean {
  return [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')].some(
    (variant) => migrationChecksum(variant) === checksum,
  );
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function readMigrations(migrationsDir: string): Promise<MigrationOnDisk[]> {
  let entries;
  try {
    entries = await fs.readdir(migrationsDir, { withFileTypes: true });
  } catch (err) {
    throw new MigrationsDirectoryError(`Cannot read the migrations folder ${migrationsDir}: ${(err as Error).message}`);
  }

  const lockfile = await fs.readFile(path.join(migrationsDir, 'migration_lock.toml'), 'utf8').catch(() => null);
  const provider = lockfile?.match(/^\s*provider\s*=\s*"([^"]*)"/m)?.[1];
  if (provider !== undefined && provider !== 'postgresql') {
    throw new MigrationsDirectoryError(
      `${path.join(migrationsDir, 'migration_lock.toml')} says these migrations are for "${provider}", not "postgresql".`,
    );
  }

  // Prisma's own order: folder names compared with localeCompare.
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(migrationsDir, name, 'migration.sql');
      try {
        return { name, script: await fs.readFile(file, 'utf8') };
      } catch (err) {
        throw new MigrationsDirectoryError(`Migration ${name} has no readable migration.sql (${file}): ${(err as Error).message}`);
      }
    }),
  );
}

// Prisma reads the schema from `?schema=` (default public) and works only there; pg itself ignores the parameter.
function splitSchemaParam(connectionString: string): { connectionString: string; schema: string } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString, schema: 'public' };
  }
  const schema = url.searchParams.get('schema');
  if (!schema) return { connectionString, schema: 'public' };
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}

function describeDatabaseError(err: unknown, script: string): { code: string | undefined; message: string } {
  if (!(err instanceof Error)) return { code: undefined, message: String(err) };
  const dbErr = err as pg.DatabaseError;
  let message = `ERROR: ${dbErr.message}`;
  if (dbErr.detail) message += `\nDETAIL: ${dbErr.detail}`;
  if (dbErr.hint) message += `\nHINT: ${dbErr.hint}`;
  // Point at the failing line, as Prisma does: the position is a 1-based character offset into the script.
  const position = dbErr.position ? Number(dbErr.position) : NaN;
  if (Number.isInteger(position) && position > 0) {
    const lines = script.slice(0, position).split('\n');
    const lineNumber = lines.length;
    const allLines = script.split('\n');
    const from = Math.max(0, lineNumber - 6);
    const context = allLines
      .slice(from, lineNumber)
      .map((line, i) => `${String(from + i + 1).padStart(3)}${i === lineNumber - from - 1 ? '>' : ' '} ${line}`)
      .join('\n');
    message += `\n\nPosition:\n${context}`;
  }
  return { code: dbErr.code, message };
}

/**
 * Applies the migrations in `migrationsDir` that the database has not applied yet, oldest first, holding Prisma
 * Migrate's advisory lock so concurrent callers (several workers starting at once) apply each migration once.
 */
export async function applyMigrations({ connectionString, migrationsDir, log = () => {} }: ApplyMigrationsOptions): Promise<ApplyMigrationsResult> {
  const migrations = await readMigrations(migrationsDir);
  const target = splitSchemaParam(connectionString);
  const client = new pg.Client({ connectionString: target.connectionString });
  // Without a listener, a connection dropped between queries would crash the process instead of failing the call.
  client.on('error', (err) => log(`Postgres connection error: ${err.message}`));
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK_ID})`);

    const schemaExists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [target.schema]);
    if (schemaExists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(target.schema)}`);
    await client.query(`SET search_path TO ${quoteIdent(target.schema)}`);

    const table = await client.query<{ exists: boolean }>("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists");
    if (!table.rows[0]?.exists) await client.query(CREATE_MIGRATIONS_TABLE);

    const { rows } = await client.query<MigrationRow>(
      'SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at FROM _prisma_migrations ORDER BY started_at ASC',
    );

    const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed.length > 0) {
      throw new FailedMigrationInDatabaseError(
        failed.map((r) => ({ migrationName: r.migration_name, startedAt: r.started_at, logs: r.logs })),
      );
    }

    const applied = rows.filter((r) => r.rolled_back_at === null);
    const edited = migrations
      .filter((m) => applied.some((r) => r.migration_name === m.name && !scriptMatchesChecksum(m.script, r.checksum)))
      .map((m) => m.name);
    if (edited.length > 0) throw new MigrationChecksumMismatchError(edited);

    const unknown = applied.map((r) => r.migration_name).filter((name) => !migrations.some((m) => m.name === name));
    if (unknown.length > 0) {
      // Not fatal: an older build may run against a database a newer build already migrated.
      log(`The database has migrations that are not in ${migrationsDir}: ${unknown.join(', ')}`);
    }

    const pending = migrations.filter((m) => !applied.some((r) => r.migration_name === m.name));
    const appliedNow: string[] = [];
    for (const migration of pending) {
      log(`Applying migration ${migration.name}`);
      const id = randomUUID();
      // Recorded before the script runs and outside its transaction, so a failure (or a crash) leaves the
      // unfinished row behind and later runs refuse to continue, exactly as with Prisma.
      await client.query(
        'INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, now(), $3)',
        [id, migrationChecksum(migration.script), migration.name],
      );
      try {
        await client.query('BEGIN');
        // No parameters: pg sends it as a simple query, which runs a multi-statement script.
        await client.query(migration.script);
        // clock_timestamp(): now() would be the transaction's start, not when the script finished.
        await client.query(
          'UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp() WHERE id = $1',
          [id],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        const { code, message } = describeDatabaseError(err, migration.script);
        const logs = `Migration name: ${migration.name}\n\nDatabase error code: ${code ?? 'none'}\n\nDatabase error:\n${message}`;
        await client
          .query('UPDATE _prisma_migrations SET logs = $1 WHERE id = $2', [logs, id])
          .catch((recordErr: unknown) => log(`Could not record the failure of ${migration.name}: ${String(recordErr)}`));
        throw new MigrationFailedError(migration.name, code, message);
      }
      appliedNow.push(migration.name);
    }

    await client.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK_ID})`);
    return { applied: appliedNow };
  } finally {
    // Closing the session also releases the advisory lock if anything above threw.
    await client.end();
  }
}
