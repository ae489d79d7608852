import type { ChangeOutcomeKind, PrismaClient } from '../db/generated/client.ts';
import { encodeKey, hlcToMillis, parseHlc } from '../stream/envelope.ts';
import { subProcessorsByTable } from '../stream/registry.ts';
import type { ChangefeedTable } from '../stream/tables.ts';
import type { LedgerRow } from './search.ts';

/**
 * What a stock change set off downstream: its row change, the Kafka message that carried it, what each
 * sub-processor did with it (change_outcomes), and the workflows they signalled.
 *
 * Matching a ledger entry to its change: every write locks the row, sets updated_at = clock_timestamp() and
 * commits; the relay stamps the change with the commit time (`updated`). So the change of an adjustment is the
 * first change of its row key whose `updated` is at or after the updated_at it wrote (recorded, to the
 * microsecond, as inventory_adjustments.row_updated_at) and before the updated_at of the row's next write. Two
 * quick adjustments of the same row therefore never claim each other's change, and a redelivered message (same
 * `updated`, new offset) is recognised as the same change.
 */

export interface OutcomeRecord {
  tableName: string;
  rowKey: string;
  updated: string;
  topic: string;
  partition: number;
  offset: string;
  subProcessor: string;
  outcome: ChangeOutcomeKind;
  workflowId: string | null;
  detail: string | null;
  latencyMs: number | null;
  createdAt: Date;
}

/** The window a change's `updated` must fall in, in wall-clock nanoseconds: [from, before). */
export interface ChangeWindow {
  fromNanos: bigint;
  beforeNanos?: bigint | null;
}

/** Microseconds since the epoch (as Postgres keeps timestamps) to HLC wall nanoseconds. */
export const microsToNanos = (micros: bigint): bigint => micros * 1000n;

function wallNanos(updated: string): bigint | null {
  try {
    return parseHlc(updated).wall;
  } catch {
    return null;
  }
}

/** The `updated` of the earliest change inside the window, or null while none has been processed. */
export function matchChange(outcomes: readonly Pick<OutcomeRecord, 'updated'>[], window: ChangeWindow): string | null {
  let best: { updated: string; hlc: ReturnType<typeof parseHlc> } | null = null;
  for (const { updated } of outcomes) {
    const wall = wallNanos(updated);
    if (wall === null || wall < window.fromNanos) continue;
    if (window.beforeNanos != null && wall >= window.beforeNanos) continue;
    const hlc = parseHlc(updated);
    if (!best || hlc.wall < best.hlc.wall || (hlc.wall === best.hlc.wall && hlc.logical < best.hlc.logical)) best = { updated, hlc };
  }
  return best?.updated ?? null;
}

export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface SubProcessorStep {
  name: string;
  /** Every outcome recorded for this change, oldest first (a redelivery adds `duplicate`, a replay `replayed`). */
  outcomes: {
    outcome: ChangeOutcomeKind;
    at: string;
    latencyMs: number | null;
    detail: string | null;
    workflowId: string | null;
    workflowUrl: string | null;
    offset: string;
  }[];
}

export interface ChangeStep {
  table: ChangefeedTable;
  rowKey: string;
  /** The change's HLC once a sub-processor has recorded it; null while waiting. */
  updated: string | null;
  committedAt: string | null;
  /** Where the change was first consumed from. */
  kafka: KafkaPosition | null;
  /** Further deliveries of the same change (at-least-once: a relay restart may produce it again). */
  redeliveries: KafkaPosition[];
  subProcessors: SubProcessorStep[];
  /** Every sub-processor of the table has recorded an outcome. */
  complete: boolean;
}

export type WorkflowLink = (workflowId: string) => string;

/** The Temporal Web UI page of a workflow. */
export function temporalWorkflowUrl(uiUrl: string, namespace: string): WorkflowLink {
  const base = uiUrl.replace(/\/+$/, '');
  return (workflowId) => `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** One change's step: its outcomes grouped per expected sub-processor, in the table's processing order. */
export function buildChangeStep(
  table: ChangefeedTable,
  rowKey: string,
  outcomes: readonly OutcomeRecord[],
  window: ChangeWindow,
  expected: readonly string[],
  link: WorkflowLink,
): ChangeStep {
  const updated = matchChange(outcomes, window);
  const mine = updated === null ? [] : outcomes.filter((o) => o.updated === updated).toSorted((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const positions: KafkaPosition[] = [];
  for (const { topic, partition, offset } of mine) {
    if (!positions.some((p) => p.topic === topic && p.partition === partition && p.offset === offset)) positions.push({ topic, partition, offset });
  }
  const names = [...expected, ...new Set(mine.map((o) => o.subProcessor).filter((name) => !expected.includes(name)))];
  const subProcessors = names.map((name) => ({
    name,
    outcomes: mine
      .filter((o) => o.subProcessor === name)
      .map((o) => ({
        outcome: o.outcome,
        at: o.createdAt.toISOString(),
        latencyMs: o.latencyMs,
        detail: o.detail,
        workflowId: o.workflowId,
        workflowUrl: o.workflowId ? link(o.workflowId) : null,
        offset: o.offset,
      })),
  }));
  return {
    table,
    rowKey,
    updated,
    committedAt: updated === null ? null : new Date(hlcToMillis(parseHlc(updated))).toISOString(),
    kafka: positions[0] ?? null,
    redeliveries: positions.slice(1),
    subProcessors,
    complete: updated !== null && subProcessors.every((sp) => sp.outcomes.length > 0),
  };
}

export interface WorkflowStep {
  workflowId: string;
  url: string;
  subProcessors: string[];
}

/** The distinct workflows the changes signalled, with who signalled them. */
export function workflowsOf(changes: readonly ChangeStep[], link: WorkflowLink): WorkflowStep[] {
  const byId = new Map<string, Set<string>>();
  for (const change of changes) {
    for (const sp of change.subProcessors) {
      for (const outcome of sp.outcomes) {
        if (!outcome.workflowId) continue;
        const set = byId.get(outcome.workflowId) ?? new Set<string>();
        set.add(sp.name);
        byId.set(outcome.workflowId, set);
      }
    }
  }
  return [...byId].map(([workflowId, subProcessors]) => ({ workflowId, url: link(workflowId), subProcessors: [...subProcessors] }));
}

/** A ledger entry (as the stock panel lists them) with the row it changed and the version it wrote. */
export interface AdjustmentSummary extends LedgerRow {
  storeId: string;
  sku: string;
  /** When the row change was written (its updated_at); null for ledger rows from before it was recorded. */
  rowUpdatedAt: string | null;
}

export interface DownstreamView {
  adjustment: AdjustmentSummary;
  changes: ChangeStep[];
  workflows: WorkflowStep[];
  complete: boolean;
  /** Since the row change was written, by the database's clock. */
  elapsedMs: number;
}

export class UnknownAdjustmentError extends Error {
  override name = 'UnknownAdjustmentError';
}

interface AdjustmentRow {
  id: bigint;
  store_id: string;
  sku: string;
  lot_id: string | null;
  delta: number;
  reason: string;
  note: string | null;
  actor: string;
  on_hand_after: number;
  created_at: Date;
  row_updated_at: Date | null;
  from_us: bigint;
  elapsed_ms: bigint;
}

interface OutcomeRow {
  table_name: string;
  row_key: string;
  updated: string;
  topic: string;
  partition: number;
  offset: bigint;
  sub_processor: string;
  outcome: ChangeOutcomeKind;
  workflow_id: string | null;
  detail: string | null;
  latency_ms: number | null;
  created_at: Date;
}

const toRecord = (row: OutcomeRow): OutcomeRecord => ({
  tableName: row.table_name,
  rowKey: row.row_key,
  updated: row.updated,
  topic: row.topic,
  partition: row.partition,
  offset: row.offset.toString(),
  subProcessor: row.sub_processor,
  outcome: row.outcome,
  workflowId: row.workflow_id,
  detail: row.detail,
  latencyMs: row.latency_ms,
  createdAt: row.created_at,
});

/** At most this many outcome rows per row key are read; far more than one change's worth. */
const OUTCOME_SCAN_LIMIT = 500;

export async function loadDownstream(db: PrismaClient, adjustmentId: bigint, link: WorkflowLink): Promise<DownstreamView> {
  const [adj] = await db.$queryRaw<AdjustmentRow[]>`
    SELECT id, store_id, sku, lot_id, delta, reason::text AS reason, note, actor, on_hand_after, created_at, row_updated_at,
           (extract(epoch FROM coalesce(row_updated_at, created_at)) * 1000000)::bigint AS from_us,
           greatest(0, extract(epoch FROM clock_timestamp() - coalesce(row_updated_at, created_at)) * 1000)::bigint AS elapsed_ms
    FROM inventory_adjustments WHERE id = ${adjustmentId}`;
  if (!adj) throw new UnknownAdjustmentError(`There is no stock adjustment #${adjustmentId}.`);

  // Bounded above by the row's next write: ledger ids are taken under the row lock, so they follow commit order.
  const targets: { table: ChangefeedTable; rowKey: string; next: Promise<{ us: bigint }[]> }[] = [
    {
      table: 'inventory_levels',
      rowKey: encodeKey([adj.store_id, adj.sku]),
      next: db.$queryRaw<{ us: bigint }[]>`
        SELECT (extract(epoch FROM coalesce(row_updated_at, created_at)) * 1000000)::bigint AS us
        FROM inventory_adjustments
        WHERE store_id = ${adj.store_id} AND sku = ${adj.sku} AND id > ${adj.id}
        ORDER BY id LIMIT 1`,
    },
  ];
  if (adj.lot_id) {
    targets.push({
      table: 'inventory_lots',
      rowKey: encodeKey([adj.lot_id]),
      next: db.$queryRaw<{ us: bigint }[]>`
        SELECT (extract(epoch FROM coalesce(row_updated_at, created_at)) * 1000000)::bigint AS us
        FROM inventory_adjustments
        WHERE store_id = ${adj.store_id} AND sku = ${adj.sku} AND lot_id = ${adj.lot_id} AND id > ${adj.id}
        ORDER BY id LIMIT 1`,
    });
  }

  const since = adj.row_updated_at ?? adj.created_at;
  const changes = await Promise.all(
    targets.map(async ({ table, rowKey, next }) => {
      const [outcomeRows, [nextRow]] = await Promise.all([
        db.$queryRaw<OutcomeRow[]>`
          SELECT table_name, row_key, updated, topic, partition, "offset", sub_processor, outcome, workflow_id, detail, latency_ms, created_at
          FROM change_outcomes
          WHERE table_name = ${table} AND row_key = ${rowKey} AND created_at >= ${since}
          ORDER BY created_at, id LIMIT ${OUTCOME_SCAN_LIMIT}`,
        next,
      ]);
      const window = { fromNanos: microsToNanos(BigInt(adj.from_us)), beforeNanos: nextRow ? microsToNanos(BigInt(nextRow.us)) : null };
      const expected = subProcessorsByTable[table].map((sp) => sp.name);
      return buildChangeStep(table, rowKey, outcomeRows.map(toRecord), window, expected, link);
    }),
  );

  return {
    adjustment: {
      id: adj.id.toString(),
      storeId: adj.store_id,
      sku: adj.sku,
      lotId: adj.lot_id,
      delta: adj.delta,
      reason: adj.reason,
      note: adj.note,
      actor: adj.actor,
      onHandAfter: adj.on_hand_after,
      createdAt: adj.created_at.toISOString(),
      rowUpdatedAt: adj.row_updated_at?.toISOString() ?? null,
    },
    changes,
    workflows: workflowsOf(changes, link),
    complete: changes.every((change) => change.complete),
    elapsedMs: Number(adj.elapsed_ms),
  };
}
