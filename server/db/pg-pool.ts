import pg from 'pg';
import { env } from '../env.ts';
import { logger } from '../logger.ts';

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
    // An idle client's connection ending (Postgres restarting, a failover) is an 'error' event on the pool: without a
    // listener Node throws it and the process dies. The pool drops that client and the next query connects afresh.
    pool.on('error', (err) => logger.warn({ component: 'pg-pool', pool: name, err }, 'an idle Postgres connection ended; it will be replaced'));
    pools.set(name, pool);
  }
  return pool;
}

/** The stream's hot path (the processor's watermark and outcome statements, the batch activities). */
export const streamPool = (): pg.Pool => namedPgPool('stream', 10);

/** The card-link hot path (the synchronous API waits on it): createLink's one statement. */
export const cardLinkPool = (): pg.Pool => namedPgPool('card-link', 10);
