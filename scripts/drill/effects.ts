import type { ChangeOutcomeKind, PrismaClient } from '../../server/db/generated/client.ts';
import { microsToNanos } from '../../server/inventory/downstream.ts';
import { encodeKey, parseHlc } from '../../server/stream/envelope.ts';
import { LOW_STOCK_REPLENISHMENT } from '../../server/stream/sub-processors/low-stock-replenishment.ts';

/**
 * What a drill checks: the effect of every adjustment in the ledger (inventory_adjustments) of the drill's
 * stores.
 *
 * The effect: every adjustment changes on_hand, and `low-stock-replenishment` accepts every on_hand change,
 * so each adjustment's row change must end up as exactly one `stream_applied` row of that sub-processor
 * (written by its batch activity in the same transaction as the effect). The row change of an adjustment is
 * found as the console finds it (server/inventory/downstream.ts): the write set updated_at under the row
 * lock and recorded it as row_updated_at; the relay stamps the change with its commit time (`updated`). So
 * the adjustment's change is the one whose `updated` falls in [its row_updated_at, the row's next
 * row_updated_at).
 *
 * - lost: no applied message in the adjustment's window.
 * - doubled: the adjustment's effect shows more than once: two applied messages in its window (a change
 *   re-stamped and applied again), the processor recording `applied`/`replayed` more than once for the same
 *   message (redeliveries must record `duplicate`), or the ledger holding the adjustment twice (the write
 *   itself repeated).
 * - phantom: applied messages of the drill's rows that no adjustment explains (e.g. a poison envelope that
 *   was applied instead of dead-lettered, dated before the row's first write).
 * Besides, the final state must match the final stock: catalog_availability.available = on_hand > 0, and an
 * open replenishment suggestion at the current on_hand exactly when on_hand <= reorder point.
 */

export interface EffectReport {
  adjustments: number;
  lost: number;
  doubled: number;
  phantom: number;
  /** Messages signalled to a stream workflow more than once (at-least-once after a crash; the workflow and stream_applied dedupe). */
  resignalled: number;
  /** `duplicate` outcomes: redeliveries the watermarks caught (shows a fault made Kafka redeliver). */
  redelivered: number;
  /** What the processor recorded for the lost adjustments' changes (`none` = nothing yet). */
  lostBy: Record<string, number>;
  /** Rows whose catalog_availability or replenishment suggestion does not match their final stock. */
  finalStateMismatches: number;
  /** Up to a few examples of each problem, for the report. */
  examples: string[];
  /** Ledger ids of the adjustments with their effect, for drain tracking. */
  applied: Set<bigint>;
}

/** A ledger row of the drill's stores; `us` is row_updated_at in microseconds since the epoch. */
export interface LedgerEntry {
  id: bigint;
  store_id: string;
  sku: string;
  us: bigint;
}

export interface OutcomeCount {
  row_key: string;
  updated: string;
  outcome: ChangeOutcomeKind;
  n: number;
}

export interface EffectData {
  /** Ordered by id. */
  adjustments: readonly LedgerEntry[];
  /** stream_applied message ids of the sub-processor for the drill's rows. */
  appliedMessageIds: readonly string[];
  outcomes: readonly OutcomeCount[];
  /** Notes the ledger holds more than once. */
  ledgerDoubles: readonly { note: string; n: number }[];
}

const MESSAGE_PREFIX = 'inventory_levels:';
const MAX_EXAMPLES = 8;

export async function checkEffects(db: PrismaClient, storeIds: readonly string[], { finalState = true } = {}): Promise<EffectReport> {
  const stores = [...storeIds];
  const adjustments = await db.$queryRaw<LedgerEntry[]>`
    SELECT id, store_id, sku, (extract(epoch FROM row_updated_at) * 1000000)::bigint AS us
    FROM inventory_adjustments WHERE store_id = ANY(${stores}::text[]) ORDER BY id`;
  const rowKeys = [...new Set(adjustments.map((a) => encodeKey([a.store_id, a.sku])))];
  const [applied, outcomes, ledgerDoubles] = await Promise.all([
    db.$queryRaw<{ message_id: string }[]>`
      SELECT message_id FROM stream_applied
      WHERE sub_processor = ${LOW_STOCK_REPLENISHMENT} AND message_id LIKE ANY(${stores.map((s) => `${MESSAGE_PREFIX}["${s}",%`)}::text[])`,
    db.$queryRaw<OutcomeCount[]>`
      SELECT row_key, updated, outcome, count(*)::int AS n FROM change_outcomes
      WHERE sub_processor = ${LOW_STOCK_REPLENISHMENT} AND table_name = 'inventory_levels' AND row_key = ANY(${rowKeys}::text[])
      GROUP BY row_key, updated, outcome`,
    db.$queryRaw<{ note: string; n: number }[]>`
      SELECT note, count(*)::int AS n FROM inventory_adjustments
      WHERE store_id = ANY(${stores}::text[]) AND note IS NOT NULL GROUP BY note HAVING count(*) > 1`,
  ]);
  const report = matchEffects({ adjustments, appliedMessageIds: applied.map((row) => row.message_id), outcomes, ledgerDoubles });

  if (finalState) {
    const mismatches = await db.$queryRaw<{ store_id: string; sku: string; on_hand: number; available: boolean | null; status: string | null; suggested_on_hand: number | null }[]>`
      SELECT l.store_id, l.sku, l.on_hand, ca.available, rs.status::text AS status, rs.on_hand AS suggested_on_hand
      FROM inventory_levels l
      JOIN catalog_items c ON c.sku = l.sku
      LEFT JOIN catalog_availability ca ON ca.store_id = l.store_id AND ca.sku = l.sku
      LEFT JOIN replenishment_suggestions rs ON rs.store_id = l.store_id AND rs.sku = l.sku
      WHERE l.store_id = ANY(${stores}::text[])
        AND (ca.available IS DISTINCT FROM (l.on_hand > 0)
             OR (l.on_hand <= c.reorder_point AND (rs.status IS DISTINCT FROM 'open' OR rs.on_hand <> l.on_hand))
             OR (l.on_hand > c.reorder_point AND rs.status = 'open'))`;
    report.finalStateMismatches = mismatches.length;
    for (const m of mismatches.slice(0, MAX_EXAMPLES)) {
      report.examples.push(`${m.store_id}/${m.sku}: on_hand ${m.on_hand}, available ${m.available}, suggestion ${m.status ?? 'none'} at ${m.suggested_on_hand ?? '-'}`);
    }
  }
  return report;
}

/** Matches each adjustment to the applied messages and outcomes inside its window (see the top of this file). */
export function matchEffects({ adjustments, appliedMessageIds, outcomes, ledgerDoubles }: EffectData): EffectReport {
  const byRow = new Map<string, { adjustments: LedgerEntry[]; applied: bigint[] }>();
  for (const adjustment of adjustments) {
    const rowKey = encodeKey([adjustment.store_id, adjustment.sku]);
    const entry = byRow.get(rowKey) ?? { adjustments: [], applied: [] };
    entry.adjustments.push(adjustment);
    byRow.set(rowKey, entry);
  }
  const report: EffectReport = {
    adjustments: adjustments.length,
    lost: 0,
    doubled: ledgerDoubles.length,
    phantom: 0,
    resignalled: 0,
    redelivered: 0,
    lostBy: {},
    finalStateMismatches: 0,
    examples: ledgerDoubles.slice(0, MAX_EXAMPLES).map((d) => `ledger holds ${d.note} ${d.n} times`),
    applied: new Set(),
  };
  const example = (text: string) => report.examples.length < MAX_EXAMPLES && report.examples.push(text);

  for (const messageId of appliedMessageIds) {
    const at = messageId.lastIndexOf('@');
    const entry = messageId.startsWith(MESSAGE_PREFIX) ? byRow.get(messageId.slice(MESSAGE_PREFIX.length, at)) : undefined;
    const wall = wallOf(messageId.slice(at + 1));
    if (entry && wall !== null) entry.applied.push(wall);
    else {
      report.phantom += 1;
      example(`stream_applied ${messageId} matches no drill adjustment`);
    }
  }
  const outcomesByRow = new Map<string, { wall: bigint; outcome: ChangeOutcomeKind; n: number }[]>();
  for (const row of outcomes) {
    const wall = wallOf(row.updated);
    if (wall === null) continue;
    const list = outcomesByRow.get(row.row_key) ?? [];
    list.push({ wall, outcome: row.outcome, n: row.n });
    outcomesByRow.set(row.row_key, list);
  }

  for (const [rowKey, { adjustments: list, applied }] of byRow) {
    const rowOutcomes = outcomesByRow.get(rowKey) ?? [];
    const first = list[0];
    if (first) {
      const early = applied.filter((wall) => wall < microsToNanos(first.us)).length;
      report.phantom += early;
      if (early > 0) example(`${rowKey}: ${early} applied message(s) dated before the row's first adjustment`);
    }
    list.forEach((adjustment, i) => {
      const from = microsToNanos(adjustment.us);
      const nextAdjustment = list[i + 1];
      const before = nextAdjustment ? microsToNanos(nextAdjustment.us) : null;
      const inWindow = (wall: bigint) => wall >= from && (before === null || wall < before);
      const effects = applied.filter(inWindow).length;
      const recorded = rowOutcomes.filter((o) => inWindow(o.wall));
      const count = (kinds: ChangeOutcomeKind[]) => recorded.filter((o) => kinds.includes(o.outcome)).reduce((sum, o) => sum + o.n, 0);
      if (effects === 0) {
        report.lost += 1;
        const kinds = [...new Set(recorded.map((o) => o.outcome))].sort().join('+') || 'none';
        report.lostBy[kinds] = (report.lostBy[kinds] ?? 0) + 1;
        example(`adjustment #${adjustment.id} (${rowKey}): no stream_applied row; outcomes recorded: ${kinds}`);
      } else {
        report.applied.add(adjustment.id);
      }
      const doubledBy = effects > 1 ? `${effects} applied messages` : count(['applied', 'replayed']) > 1 ? `${count(['applied', 'replayed'])} applied/replayed outcomes` : null;
      if (doubledBy) {
        report.doubled += 1;
        example(`adjustment #${adjustment.id} (${rowKey}): ${doubledBy}`);
      }
      if (count(['signalled']) > 1) report.resignalled += 1;
      report.redelivered += count(['duplicate']);
    });
  }
  return report;
}

function wallOf(updated: string): bigint | null {
  try {
    return parseHlc(updated).wall;
  } catch {
    return null;
  }
}
