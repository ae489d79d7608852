import path from 'node:path';
import { seedCardLinkDemo } from '../../server/card-link/seed.ts';
import { db } from '../../server/db/client.ts';
import { applyMigrations } from '../../server/db/migrate.ts';
import { seedDemoData } from '../../server/db/seed.ts';
import { env } from '../../server/env.ts';
import { repoRoot } from './paths.ts';

/** Applies pending migrations, then seeds demo data where none exists yet. Needs DATABASE_URL in process.env. */
export async function prepareDatabase(): Promise<{ applied: string[]; seeded: Record<string, number> }> {
  const { applied } = await applyMigrations({
    connectionString: env().DATABASE_URL,
    migrationsDir: path.join(repoRoot, 'prisma', 'migrations'),
  });
  const seeded = { ...(await seedDemoData(db())), ...(await seedCardLinkDemo(db())) };
  await db().$disconnect();
  return { applied, seeded };
}
