import pg from 'pg';
import { env } from '../env.ts';

const globalForPool = globalThis as unknown as { dashopsCardLinkPool?: pg.Pool };

/**
 * The card-link hot path's own `pg` pool (one per process): a plain parameterised statement costs a third of the
 * same statement through Prisma, and the synchronous API waits on it. Idle clients do not keep a process alive.
 */
export function cardLinkPool(): pg.Pool {
  globalForPool.dashopsCardLinkPool ??= new pg.Pool({ connectionString: env().DATABASE_URL, max: 10, allowExitOnIdle: true });
  return globalForPool.dashopsCardLinkPool;
}
