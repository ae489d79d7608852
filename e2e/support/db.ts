import pg from 'pg';

/** `npm test` passes its DATABASE_URL; against `npm start`, the dev database. */
const connectionString = process.env.DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5433/dashops';

/** One short-lived connection for a fixture's setup or check, always closed. */
export async function withDb<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `work` in one transaction on a short-lived connection: a cleanup removes all of its rows or none. */
export async function inTransaction<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withDb(async (client) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
  });
}
