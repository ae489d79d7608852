import { classifyStreamError, enqueueChange } from '../stream-signal.ts';
import type { Change, SubProcessor } from '../sub-processor.ts';
import type { InventoryLotRow } from '../tables.ts';

export const EXPIRY_WRITE_OFF = 'expiry-write-off';

export interface ExpiredLotPayload {
  lotId: string;
}

export const EXPIRY_WRITE_OFF_ACTIVITY = 'writeOffExpiredLots';

/** `YYYY-MM-DD` of a moment, in UTC. */
export const utcDate = (at: Date): string => at.toISOString().slice(0, 10);

/** Stock left in a lot past its expiry date: it expired before today (UTC). */
export function isExpiredStock(row: Pick<InventoryLotRow, 'quantity' | 'expires_on'> | null, today: string): boolean {
  return row !== null && row.quantity > 0 && row.expires_on.slice(0, 10) < today;
}

/**
 * Writes off lots that hold stock past their expiry. A lot does not change when it expires, so this fires
 * on the next change to it, a lot received already expired, or a touch of expired lots.
 */
export function createExpiryWriteOff({ now = () => new Date() }: { now?: () => Date } = {}): SubProcessor<InventoryLotRow> {
  return {
    name: EXPIRY_WRITE_OFF,
    accepts(change: Change<InventoryLotRow>) {
      return isExpiredStock(change.after, utcDate(now()));
    },
    async process(change) {
      const lot = change.after;
      // accepts() guarantees `after`; a replay of an old dead letter may not, and then there is nothing to do.
      if (!lot) return { outcome: 'ignored', detail: 'the lot no longer exists' };
      const payload: ExpiredLotPayload = { lotId: lot.lot_id };
      return enqueueChange({ shardKey: lot.store_id, activity: EXPIRY_WRITE_OFF_ACTIVITY, payload });
    },
    onError(_change, error) {
      return classifyStreamError(error);
    },
  };
}

export const expiryWriteOff = createExpiryWriteOff();
