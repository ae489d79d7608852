import { afterAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { namedPgPool } from './pg-pool.ts';

const NAME = 'pg-pool-test';

describe('namedPgPool', () => {
  const pool = namedPgPool(NAME, 2);
  afterAll(() => pool.end());

  it('survives an idle connection being ended by Postgres (a restart, a failover) and connects afresh', async () => {
    // Two clients, so one can end the other's backend while it sits idle in the pool.
    const idle = await pool.connect();
    const other = await pool.connect();
    const { rows } = await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    idle.release();
    await other.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    other.release();
    // The idle client hears the termination as an 'error' on the pool; unheard, Node throws it and the process dies
    // (vitest reports it as an unhandled error and fails the run).
    await sleep(500);
    const { rows: after } = await pool.query<{ one: number }>('SELECT 1 AS one');
    expect(after[0]?.one).toBe(1);
    expect(pool.totalCount).toBeLessThanOrEqual(2);
  });
});
