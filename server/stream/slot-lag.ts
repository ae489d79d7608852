import type { PrismaClient } from '../db/generated/client.ts';

export interface SlotLag {
  slotName: string;
  /** A relay is connected to the slot right now. */
  active: boolean;
  /** WAL written since the slot's confirmed position: what Postgres retains for it and the relay still owes. */
  lagBytes: number;
  confirmedFlushLsn: string | null;
}

/** How far the CDC relay's replication slot is behind the current WAL position; null when there is no such slot. */
export async function getSlotLag(db: PrismaClient, slotName: string): Promise<SlotLag | null> {
  const rows = await db.$queryRaw<{ active: boolean; lag_bytes: number | null; confirmed_flush_lsn: string | null }[]>`
    SELECT active,
           pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(confirmed_flush_lsn, restart_lsn))::float8 AS lag_bytes,
           confirmed_flush_lsn::text AS confirmed_flush_lsn
    FROM pg_replication_slots
    WHERE slot_name = ${slotName}`;
  const row = rows[0];
  if (!row) return null;
  return {
    slotName,
    active: row.active,
    lagBytes: Math.max(0, row.lag_bytes ?? 0),
    confirmedFlushLsn: row.confirmed_flush_lsn,
  };
}
