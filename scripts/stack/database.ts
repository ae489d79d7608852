import path from 'node:path';
import { generatePassword } from '../../server/auth/passwords.ts';
import { seedDemoUsers, type DemoLogin } from '../../server/auth/users.ts';
import { seedCardLinkDemo } from '../../server/card-link/seed.ts';
import { db } from '../../server/db/client.ts';
import { applyMigrations } from '../../server/db/migrate.ts';
import { seedDemoData } from '../../server/db/seed.ts';
import { env } from '../../server/env.ts';
import { repoRoot } from './paths.ts';

/**
 * Applies pending migrations, then seeds demo data where none exists yet. Needs DATABASE_URL in process.env.
 * With `demoUsers`, an empty users table gets one console user per role with a fresh random password; those
 * logins are returned once (only hashes are stored).
 */
export async function prepareDatabase({ demoUsers = false }: { demoUsers?: boolean } = {}): Promise<{
  applied: string[];
  seeded: Record<string, number>;
  logins: DemoLogin[];
}> {
  const { applied } = await applyMigrations({
    connectionString: env().DATABASE_URL,
    migrationsDir: path.join(repoRoot, 'prisma', 'migrations'),
  });
  const seeded = { ...(await seedDemoData(db())), ...(await seedCardLinkDemo(db())) };
  const logins = demoUsers ? await seedDemoUsers(db(), () => generatePassword()) : [];
  await db().$disconnect();
  return { applied, seeded, logins };
}
