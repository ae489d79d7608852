import pg from 'pg';
import type { Prisma, PrismaClient } from './generated/client.ts';

/** Where a raw statement can run: a Prisma client, an interactive transaction's client, or a hot path's `pg` pool. */
export type SqlClient = PrismaClient | Prisma.TransactionClient | pg.Pool;

/**
 * Runs a `Prisma.sql` statement and returns its rows. On a `pg` pool it goes straight to the driver (same text and
 * parameters); int8 columns then come back as strings, so callers convert with BigInt()/Number().
 */
export async function sqlRows<T>(db: SqlClient, sql: Prisma.Sql): Promise<T[]> {
  if (db instanceof pg.Pool) return (await db.query(sql.text, sql.values)).rows as T[];
  return db.$queryRaw<T[]>(sql);
}

/** Runs a `Prisma.sql` statement for its effect; resolves the number of rows it touched. */
export async function sqlExecute(db: SqlClient, sql: Prisma.Sql): Promise<number> {
  if (db instanceof pg.Pool) return (await db.query(sql.text, sql.values)).rowCount ?? 0;
  return db.$executeRaw(sql);
}
