import { z } from 'zod';
import type { PrismaClient } from '../db/generated/client.ts';

export type WalStatus = 'reserved' | 'extended' | 'unreserved' | 'lost';

export interface SlotLag {
  slotName: string;
  /** A relay is connected to the slot right now. */
  active: boolean;
  /** WAL written since the slot's confirmed position: what Postgres retains for it and the relay still owes. */
  lagBytes: number;
  confirmedFlushLsn: string | null;
  /** Whether the WAL the slot needs is still kept (pg_replication_slots.wal_status); null where Postgres does not say. */
  walStatus: WalStatus | null;
  /** WAL that may still be written before the slot is invalidated; null when max_slot_wal_keep_size is unlimited. */
  safeWalBytes: number | null;
  /** Why Postgres invalidated the slot (Postgres 17+, e.g. `wal_removed`); null while it is valid. */
  invalidationReason: string | null;
}

// Columns vary by Postgres version (wal_status and safe_wal_size since 13, invalidation_reason since 17), so the
// row is read whole as JSON and only what is there is taken.
const slotRow = z.object({
  active: z.boolean(),
  confirmed_flush_lsn: z.string().nullish(),
  wal_status: z.enum(['reserved', 'extended', 'unreserved', 'lost']).nullish(),
  safe_wal_size: z.number().nullish(),
  invalidation_reason: z.string().nullish(),
});

/** The CDC relay's replication slot: how far behind it is and whether Postgres still keeps its WAL; null when there is no such slot. */
export async function getSlotLag(db: PrismaClient, slotName: string): Promise<SlotLag | null> {
  const rows = await db.$queryRaw<{ slot: unknown; lag_bytes: number | null }[]>`
    SELECT to_jsonb(s) AS slot,
           pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(s.confirmed_flush_lsn, s.restart_lsn))::float8 AS lag_bytes
    FROM pg_replication_slots s
    WHERE s.slot_name = ${slotName}`;
  const row = rows[0];
  if (!row) return null;
  const slot = slotRow.parse(row.slot);
  return {
    slotName,
    active: slot.active,
    lagBytes: Math.max(0, row.lag_bytes ?? 0),
    confirmedFlushLsn: slot.confirmed_flush_lsn ?? null,
    walStatus: slot.wal_status ?? null,
    safeWalBytes: slot.safe_wal_size ?? null,
    invalidationReason: slot.invalidation_reason ?? null,
  };
}

export type SlotState = 'off' | 'ok' | 'not_connected' | 'extended' | 'at_risk' | 'lost' | 'missing';

/** The relay slot as pipeline health shows it: a state, what it means, and the way back when it is broken. */
export interface SlotHealth {
  slotName: string | null;
  state: SlotState;
  level: 'ok' | 'warn' | 'error';
  summary: string;
  /** Steps to recover, in order; empty when there is nothing to do. */
  recovery: string[];
  reading: SlotLag | null;
}

const INVALIDATION_REASONS: Record<string, string> = {
  wal_removed: 'Postgres removed WAL it still needed: the slot held more than max_slot_wal_keep_size',
  rows_removed: 'rows it still needed were vacuumed away',
  wal_level_insufficient: 'wal_level is no longer logical',
  idle_timeout: 'it stayed unused longer than idle_replication_slot_timeout',
};

const REDRIVE_STEP =
  'Changes committed while the relay could not read them never reached Kafka: use Re-drive rows on this page for the stores and SKUs changed since the relay stalled (the Relay slot lag chart shows when its lag began to grow).';

/**
 * Maps the slot's row (or its absence) to what an operator needs to know. `slotName` is null when this deployment
 * runs no relay (CDC_RELAY=off). Restarting the worker re-creates a missing slot (worker/cdc/setup.ts), but finds an
 * invalidated one still there and cannot stream from it, so a lost slot has to be dropped first.
 */
export function slotHealth(slotName: string | null, reading: SlotLag | null): SlotHealth {
  const base = { slotName, reading, recovery: [] as string[] };
  if (slotName === null) {
    return { ...base, state: 'off', level: 'ok', summary: 'No relay runs here (CDC_RELAY=off): the changefeeds are written elsewhere.' };
  }
  if (!reading) {
    return {
      ...base,
      state: 'missing',
      level: 'error',
      summary: `Replication slot "${slotName}" does not exist, although the relay is on.`,
      recovery: ['Restart the worker: its relay creates the slot at the current WAL position.', REDRIVE_STEP],
    };
  }
  if (reading.walStatus === 'lost' || reading.invalidationReason !== null) {
    const why = INVALIDATION_REASONS[reading.invalidationReason ?? 'wal_removed'] ?? reading.invalidationReason;
    return {
      ...base,
      state: 'lost',
      level: 'error',
      summary: `Replication slot "${slotName}" is invalidated (${why}), so the relay cannot resume from it.`,
      recovery: [
        `Stop the worker and drop the slot: SELECT pg_drop_replication_slot('${slotName}'); (a restart alone finds the invalidated slot and keeps failing on it).`,
        'Start the worker: its relay creates the slot again at the current WAL position.',
        REDRIVE_STEP,
      ],
    };
  }
  if (reading.walStatus === 'unreserved') {
    return {
      ...base,
      state: 'at_risk',
      level: 'error',
      summary: `Replication slot "${slotName}" holds more WAL than max_slot_wal_keep_size: Postgres will remove WAL it needs at its next checkpoint unless the relay catches up now.`,
      recovery: ['Check the worker (Services, below) and its relay log: it has to catch up before the next checkpoint, or the slot is lost.'],
    };
  }
  if (!reading.active) {
    return {
      ...base,
      state: 'not_connected',
      level: 'warn',
      summary: `No relay is connected to replication slot "${slotName}": the worker is down or reconnecting, and Postgres keeps WAL for it meanwhile.`,
      recovery: ['Check that the worker runs (Services, below) and read its log.'],
    };
  }
  if (reading.walStatus === 'extended') {
    return {
      ...base,
      state: 'extended',
      level: 'warn',
      summary: `Replication slot "${slotName}" holds more WAL than max_wal_size: the relay is far behind.`,
      recovery: [],
    };
  }
  return { ...base, state: 'ok', level: 'ok', summary: `Replication slot "${slotName}" is streaming.`, recovery: [] };
}
