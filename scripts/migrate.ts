// `npm run db:migrate`: applies pending prisma/migrations to DATABASE_URL without Prisma's schema-engine binary.
import path from 'node:path';
import { applyMigrations } from '../server/db/migrate.ts';

class MissingDatabaseUrlError extends Error {
  override name = 'MissingDatabaseUrlError';
}

async function main(): Promise<void> {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) {
    throw new MissingDatabaseUrlError(
      'DATABASE_URL is not set. Point it at the Postgres database to migrate, e.g.\n' +
        '  DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/dashops npm run db:migrate',
    );
  }
  const migrationsDir = path.resolve(import.meta.dirname, '..', 'prisma', 'migrations');
  const { applied } = await applyMigrations({ connectionString, migrationsDir, log: (message) => console.log(message) });
  console.log(applied.length === 0 ? 'Database is up to date; no migrations to apply.' : `Applied ${applied.length} migration(s): ${applied.join(', ')}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
});
