import type { Actor } from '../../server/auth/actor.ts';
import type { AdjustmentReason, PrismaClient } from '../../server/db/generated/client.ts';
import { adjustStock } from '../../server/inventory/stock.ts';

/**
 * A burst of stock adjustments through the real write path (server/inventory/stock.ts adjustStock), paced
 * at a steady rate by a few writer lanes. Each lane owns its rows, so it knows their stock and never asks
 * for an adjustment that would go negative. Every adjustment carries a unique note (`drill:<tag>:<n>`): when
 * a write fails (Postgres restarting, a connection cut at commit), the lane looks for that note in the
 * ledger before trying again, so an adjustment that did commit is never written a second time.
 */

export const DRILL_ACTOR: Actor = { id: 'system:fault-drill', role: 'system' };

export interface StockRow {
  storeId: string;
  sku: string;
  reorderPoint: number;
}

export interface BurstOptions {
  db: PrismaClient;
  /** Prefix of every note. */
  tag: string;
  rows: readonly StockRow[];
  total: number;
  perSecond: number;
  lanes: number;
  /** How long one adjustment may keep failing (a service down) before the burst gives up. */
  retryForMs?: number;
}

export interface Burst {
  /** Adjustments committed so far, with their ledger ids. */
  readonly committed: bigint[];
  /** Writes that failed and were retried (or found committed after all). */
  readonly retries: number;
  done: Promise<void>;
}

export function startBurst({ db, tag, rows, total, perSecond, lanes, retryForMs = 180_000 }: BurstOptions): Burst {
  const committed: bigint[] = [];
  const state = { retries: 0 };
  const stock = new Map(rows.map((row) => [row, 0]));
  const startedAt = Date.now();
  let next = 0;

  const adjust = async (row: StockRow, n: number) => {
    const onHand = stock.get(row) ?? 0;
    const { delta, reason } = nextDelta(onHand, row.reorderPoint);
    const note = `drill:${tag}:${n}`;
    const giveUpAt = Date.now() + retryForMs;
    for (;;) {
      try {
        const level = await adjustStock(db, { storeId: row.storeId, sku: row.sku, delta, reason, note }, DRILL_ACTOR);
        stock.set(row, level.onHand);
        committed.push(level.adjustmentId);
        return;
      } catch (err) {
        state.retries += 1;
        if (Date.now() > giveUpAt) throw new Error(`adjustment ${note} kept failing for ${retryForMs / 1000} s`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      try {
        const [found] = await db.$queryRaw<{ id: bigint; on_hand_after: number }[]>`
          SELECT id, on_hand_after FROM inventory_adjustments WHERE note = ${note}`;
        if (found) {
          stock.set(row, found.on_hand_after);
          committed.push(found.id);
          return;
        }
      } catch {
        // Still down: the next attempt (or the deadline) decides.
      }
    }
  };

  const lane = async (laneRows: StockRow[]) => {
    for (let i = 0; laneRows.length > 0; i++) {
      const n = next++;
      if (n >= total) return;
      // Paced by the burst's clock, not by each write: a lane that fell behind (a service was down) catches up.
      const due = startedAt + (n * 1000) / perSecond;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await adjust(laneRows[i % laneRows.length] as StockRow, n);
    }
  };
  const laneCount = Math.max(1, Math.min(lanes, rows.length));
  const byLane = Array.from({ length: laneCount }, (_, l) => rows.filter((_, i) => i % laneCount === l));
  const done = Promise.all(byLane.map(lane)).then(() => undefined);
  return {
    committed,
    get retries() {
      return state.retries;
    },
    done,
  };
}

/**
 * Stock wanders around the reorder point and now and then sells out, so that both stream sub-processors of
 * inventory_levels have work: replenishment on every on-hand change, availability when it crosses zero.
 */
function nextDelta(onHand: number, reorderPoint: number): { delta: number; reason: AdjustmentReason } {
  const roll = Math.random();
  if (onHand === 0 || (onHand < 3 * reorderPoint && roll < 0.5)) return { delta: 1 + Math.floor(Math.random() * (reorderPoint + 3)), reason: 'receive' };
  if (roll < 0.1) return { delta: -onHand, reason: 'sale' };
  return { delta: -(1 + Math.floor(Math.random() * Math.min(onHand, reorderPoint))), reason: 'sale' };
}
