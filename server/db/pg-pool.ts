import pg from 'pg';
import { env } from '../env.ts';

const globalForPools = globalThis as unknown as { dashopsPgPools?: Map<string, pg.Pool> };

/**
 * A hot path's own `pg` pool, one per name and process: a plain parameterised statement costs a fraction of the same
 * statement through Prisma's client. Idle clients do not keep a process alive.
 */
export function namedPgPool(name: string, max = 10): pg.Pool {
  const pools = (globalForPools.dashopsPgPools ??= new Map<string, pg.Pool>());
  let pool = pools.get(name);
  if (!pool) {
    pool = new pg.Pool({ connectionString: env().DATABASE_URL, max, allowExitOnIdle: true, application_name: `dashops-${name}` });
    pools.set(name, pool);
  }
  return pool;
}

/** The stream's hot path (the processor's watermark and outcome statements, the batch activities). */
export const streamPool = (): pg.Pool => namedPgPool('stream', 10);

/** The card-link hot path (the synchronous API waits on it): createLink's one statement. */
export const cardLinkPool = (): pg.Pool => namedPgPool('card-link', 10);
