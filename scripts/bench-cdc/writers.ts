import type pg from 'pg';
import { seedStoresAndItems } from '../bench-kit/catalog.ts';

/** One store per writer, so writers never wait on each other's row locks. */
export const WRITER_STORES = 8;
export const SKUS = 1000;
const store = (n: number) => `CDC-${String(n + 1).padStart(2, '0')}`;

/**
 * The bench's rows (stores CDC-01…08 × SKUs CDC-0001…1000 in inventory_levels) and the writer procedure.
 *
 * The writers run inside Postgres (a procedure that commits in a loop), so no client process shares the CPU
 * with the relay, which runs in the bench process, and both contestants see the same writers.
 */
export async function prepareWriters(pool: pg.Pool): Promise<void> {
  const stores = Array.from({ length: WRITER_STORES }, (_, n) => store(n));
  const skus = Array.from({ length: SKUS }, (_, n) => `CDC-${String(n + 1).padStart(4, '0')}`);
  await seedStoresAndItems(pool, stores, skus);
  await pool.query(
    `INSERT INTO inventory_levels (store_id, sku, on_hand, updated_at)
     SELECT s, k, 10, now() FROM unnest($1::text[]) s CROSS JOIN unnest($2::text[]) k ON CONFLICT DO NOTHING`,
    [stores, skus],
  );
  // Open loop: commit i of writer w is due at start_at + (i·writers + w)·rows_per_commit/rate, whenever the
  // previous one finished; a writer behind its schedule writes at once and counts a late start.
  await pool.query(`CREATE OR REPLACE PROCEDURE bench_cdc_write(
      start_at timestamptz, rate float8, rows_per_commit int, commits int, writers int, writer int, INOUT late int DEFAULT 0)
    LANGUAGE plpgsql AS $$
    DECLARE
      spacing float8 := rows_per_commit / rate;
      own_store text := 'CDC-' || lpad((writer + 1)::text, 2, '0');
      wait float8;
      first int;
    BEGIN
      late := 0;
      FOR i IN 0..commits - 1 LOOP
        wait := extract(epoch FROM start_at - clock_timestamp()) + (i * writers + writer) * spacing;
        IF wait > 0 THEN
          PERFORM pg_sleep(wait);
        ELSIF wait < -writers * spacing THEN
          late := late + 1;
        END IF;
        first := (i * rows_per_commit) % ${SKUS};
        IF rows_per_commit = 1 THEN
          UPDATE inventory_levels SET on_hand = on_hand + 1, updated_at = clock_timestamp()
          WHERE store_id = own_store AND sku = 'CDC-' || lpad((first + 1)::text, 4, '0');
        ELSE
          UPDATE inventory_levels SET on_hand = on_hand + 1, updated_at = clock_timestamp()
          WHERE store_id = own_store
            AND sku = ANY (ARRAY(SELECT 'CDC-' || lpad(((first + g) % ${SKUS} + 1)::text, 4, '0') FROM generate_series(0, rows_per_commit - 1) g));
        END IF;
        COMMIT;
      END LOOP;
    END $$`);
}

export interface Offered {
  rate: number;
  rowsPerCommit: number;
  seconds: number;
  writers: number;
}

export interface Written {
  rows: number;
  commits: number;
  /** Commits that started more than one of their writer's intervals after they were due. */
  lateStarts: number;
  /** From the first commit's due time to the last writer's return. */
  seconds: number;
  rowsPerSecond: number;
  startAt: Date;
}

/** Runs the writers for `seconds` at `rate` rows/s, in transactions of `rowsPerCommit` rows; resolves when all are done. */
export async function write(pool: pg.Pool, { rate, rowsPerCommit, seconds, writers }: Offered): Promise<Written> {
  if (writers > WRITER_STORES) throw new Error(`at most ${WRITER_STORES} writers (one store each)`);
  const commitsPerWriter = Math.max(1, Math.round((rate * seconds) / rowsPerCommit / writers));
  const startAt = new Date(Date.now() + 100);
  const results = await Promise.all(
    Array.from({ length: writers }, (_, writer) =>
      pool.query<{ late: number }>('CALL bench_cdc_write($1, $2, $3, $4, $5, $6)', [startAt, rate, rowsPerCommit, commitsPerWriter, writers, writer]),
    ),
  );
  const elapsed = (Date.now() - startAt.getTime()) / 1000;
  const commits = commitsPerWriter * writers;
  const rows = commits * rowsPerCommit;
  return {
    rows,
    commits,
    lateStarts: results.reduce((sum, result) => sum + (result.rows[0]?.late ?? 0), 0),
    seconds: elapsed,
    rowsPerSecond: rows / elapsed,
    startAt,
  };
}
