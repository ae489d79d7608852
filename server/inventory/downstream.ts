import type { ChangeOutcomeKind, DeadLetterStage, DeadLetterStatus, PrismaClient } from '../db/generated/client.ts';
import { encodeKey, hlcToMillis, parseHlc } from '../stream/envelope.ts';
import { subProcessorsByTable } from '../stream/registry.ts';
import { expiredNotice, readHorizon } from '../stream/retention.ts';
import { changeMessageId } from '../stream/stream-signal.ts';
import type { ChangefeedTable } from '../stream/tables.ts';
import type { WorkflowLink } from '../temporal/ui-links.ts';
import { ledgerEntry, type LedgerEntryColumns } from './ledger-entry.ts';
import type { LedgerRow } from './search.ts';

/**
 * What a stock change set off downstream: its row change, the Kafka message that carried it, what each
 * sub-processor did with it (change_outcomes), and, for a change queued in a stream workflow (`signalled`), whether
 * the workflow applied it (stream_applied, written with the effect) or gave up on it (a workflow-stage dead letter).
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
  /** For `signalled`: the run the signal reached (null on rows written before it was recorded). */
  runId: string | null;
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

/** The change's effect as its stream workflow's batch activity recorded it (stream_applied). */
export interface AppliedRecord {
  subProcessor: string;
  workflowId: string;
  runId: string;
  appliedAt: Date;
  latencyMs: number | null;
}

/** A dead letter of the change: a processor-stage one at one of its offsets, or a workflow-stage one of the change. */
export interface DeadLetterRecord {
  id: string;
  subProcessor: string;
  stage: DeadLetterStage;
  status: DeadLetterStatus;
  errorMessage: string;
  createdAt: Date;
  /** The stream workflow run that gave up on it (stage `workflow`). */
  workflowId: string | null;
  runId: string | null;
}

export interface ChangeEffects {
  applied: readonly AppliedRecord[];
  deadLetters: readonly DeadLetterRecord[];
}

/**
 * - `pending`: nothing recorded yet;
 * - `queued`: a stream workflow accepted it and has not applied it yet;
 * - `done`: applied (by the sub-processor, or by its workflow with the effect), or nothing to do (ignored, stale);
 * - `failed`: dead-lettered, by the sub-processor or by its workflow, and not applied since (nor replayed into a workflow).
 */
export type SubProcessorState = 'pending' | 'queued' | 'done' | 'failed';

/**
 * Waiting while anything is pending or queued; done only when every effect is applied or needs nothing; expired when
 * nothing was found and the change is older than the outcomes' retention horizon (its outcomes were deleted).
 */
export type TraceStatus = 'waiting' | 'done' | 'failed' | 'expired';

/** A change handed to a stream workflow, and what became of it there. */
export interface StreamEffect {
  workflowId: string;
  /** The run that applied it; null while not applied (the link then opens the latest run). */
  runId: string | null;
  workflowUrl: string;
  /** When the workflow accepted it (the latest `signalled` outcome). */
  queuedAt: string;
  /** When the workflow's batch activity applied it, with its effect; null until then. */
  appliedAt: string | null;
  /** From the row's commit to the effect. */
  latencyMs: number | null;
}

export interface DeadLetterLink {
  id: string;
  /** The entry on the dead-letters page (engineers and admins). */
  url: string;
  stage: DeadLetterStage;
  status: DeadLetterStatus;
  error: string;
  at: string;
  /** The stream workflow run that gave up on it, in the Temporal UI (stage `workflow`). */
  workflowUrl: string | null;
}

/** The dead-letters page with one entry open, whatever its state. */
export const deadLetterUrl = (id: string): string => `/dead-letters?${new URLSearchParams({ state: 'all', id }).toString()}`;

export interface SubProcessorStep {
  name: string;
  state: SubProcessorState;
  /** Set once a stream workflow accepted the change. */
  effect: StreamEffect | null;
  /** What it failed in, while `failed`. */
  deadLetter: DeadLetterLink | null;
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
  status: TraceStatus;
}

export type { WorkflowLink };

const toLink = (dl: DeadLetterRecord, link: WorkflowLink): DeadLetterLink => ({
  id: dl.id,
  url: deadLetterUrl(dl.id),
  stage: dl.stage,
  status: dl.status,
  error: dl.errorMessage,
  at: dl.createdAt.toISOString(),
  workflowUrl: dl.workflowId ? link(dl.workflowId, dl.runId) : null,
});

/** Where one sub-processor's part of the change stands (see SubProcessorState), from its outcomes oldest first. */
export function subProcessorProgress(
  name: string,
  mine: readonly OutcomeRecord[],
  effects: ChangeEffects,
  link: WorkflowLink,
): Pick<SubProcessorStep, 'state' | 'effect' | 'deadLetter'> {
  const applied = effects.applied.find((a) => a.subProcessor === name);
  const signal = mine.findLast((o) => o.outcome === 'signalled' && o.workflowId !== null);
  const effect: StreamEffect | null = signal
    ? {
        workflowId: applied?.workflowId ?? signal.workflowId!,
        runId: applied?.runId ?? signal.runId,
        workflowUrl: link(applied?.workflowId ?? signal.workflowId!, applied?.runId ?? signal.runId),
        queuedAt: signal.createdAt.toISOString(),
        appliedAt: applied?.appliedAt.toISOString() ?? null,
        latencyMs: applied?.latencyMs ?? null,
      }
    : null;
  // A redelivery (`duplicate`) repeats what came before it; anything else is the latest word.
  const last = mine.findLast((o) => o.outcome !== 'duplicate') ?? mine.at(-1);
  if (!last) return { state: 'pending', effect, deadLetter: null };
  if (applied) return { state: 'done', effect, deadLetter: null };
  const deadLetters = effects.deadLetters.filter((dl) => dl.subProcessor === name);
  if (last.outcome === 'signalled') {
    // A replay re-signals the message and marks its entry replayed; failing again reopens that same entry.
    const gaveUp = deadLetters.findLast((dl) => dl.stage === 'workflow' && dl.status !== 'replayed');
    return gaveUp ? { state: 'failed', effect, deadLetter: toLink(gaveUp, link) } : { state: 'queued', effect, deadLetter: null };
  }
  if (last.outcome === 'dead_lettered') {
    const failed = deadLetters.findLast((dl) => dl.stage !== 'workflow') ?? null;
    return { state: 'failed', effect, deadLetter: failed && toLink(failed, link) };
  }
  return { state: 'done', effect, deadLetter: null };
}

function changeStatus(updated: string | null, subProcessors: readonly Pick<SubProcessorStep, 'state'>[]): TraceStatus {
  if (updated === null || subProcessors.some((sp) => sp.state === 'pending' || sp.state === 'queued')) return 'waiting';
  return subProcessors.some((sp) => sp.state === 'failed') ? 'failed' : 'done';
}

/** The `updated` a change's outcomes settle on, and its outcomes oldest first (empty while none has arrived). */
export function changeOutcomes(outcomes: readonly OutcomeRecord[], window: ChangeWindow): { updated: string | null; mine: OutcomeRecord[] } {
  const updated = matchChange(outcomes, window);
  const mine = updated === null ? [] : outcomes.filter((o) => o.updated === updated).toSorted((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  return { updated, mine };
}

const NO_EFFECTS: ChangeEffects = { applied: [], deadLetters: [] };

/** One change's step: its outcomes grouped per expected sub-processor, in the table's processing order. */
export function buildChangeStep(
  table: ChangefeedTable,
  rowKey: string,
  outcomes: readonly OutcomeRecord[],
  window: ChangeWindow,
  expected: readonly string[],
  link: WorkflowLink,
  effects: ChangeEffects = NO_EFFECTS,
): ChangeStep {
  const { updated, mine } = changeOutcomes(outcomes, window);
  const positions: KafkaPosition[] = [];
  for (const { topic, partition, offset } of mine) {
    if (!positions.some((p) => p.topic === topic && p.partition === partition && p.offset === offset)) positions.push({ topic, partition, offset });
  }
  const names = [...expected, ...new Set(mine.map((o) => o.subProcessor).filter((name) => !expected.includes(name)))];
  const subProcessors = names.map((name): SubProcessorStep => {
    const own = mine.filter((o) => o.subProcessor === name);
    return {
      name,
      ...subProcessorProgress(name, own, effects, link),
      outcomes: own.map((o) => ({
        outcome: o.outcome,
        at: o.createdAt.toISOString(),
        latencyMs: o.latencyMs,
        detail: o.detail,
        workflowId: o.workflowId,
        workflowUrl: o.workflowId ? link(o.workflowId) : null,
        offset: o.offset,
      })),
    };
  });
  return {
    table,
    rowKey,
    updated,
    committedAt: updated === null ? null : new Date(hlcToMillis(parseHlc(updated))).toISOString(),
    kafka: positions[0] ?? null,
    redeliveries: positions.slice(1),
    subProcessors,
    status: changeStatus(updated, subProcessors),
  };
}

/** The stream workflows' part, over every change: how many effects are queued, applied and failed. */
export interface EffectSummary {
  queued: number;
  applied: number;
  failed: number;
  /** The slowest applied effect, from the row's commit. */
  slowestMs: number | null;
}

export function summariseEffects(changes: readonly ChangeStep[]): EffectSummary {
  const summary: EffectSummary = { queued: 0, applied: 0, failed: 0, slowestMs: null };
  for (const sp of changes.flatMap((change) => change.subProcessors)) {
    if (!sp.effect) continue;
    if (sp.effect.appliedAt !== null) {
      summary.applied++;
      if (sp.effect.latencyMs !== null) summary.slowestMs = Math.max(summary.slowestMs ?? 0, sp.effect.latencyMs);
    } else if (sp.state === 'failed') summary.failed++;
    else if (sp.state === 'queued') summary.queued++;
  }
  return summary;
}

/** Waiting while any change waits; failed when something failed and nothing waits; else done. */
export function traceStatus(changes: readonly Pick<ChangeStep, 'status'>[]): TraceStatus {
  if (changes.some((change) => change.status === 'waiting')) return 'waiting';
  return changes.some((change) => change.status === 'failed') ? 'failed' : 'done';
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
  effects: EffectSummary;
  status: TraceStatus;
  /** Set when the status is `expired`: what retention deleted (see server/stream/retention.ts). */
  expired: string | null;
  /** Since the row change was written, by the database's clock. */
  elapsedMs: number;
}

export class UnknownAdjustmentError extends Error {
  override name = 'UnknownAdjustmentError';
}

interface AdjustmentRow extends LedgerEntryColumns {
  store_id: string;
  sku: string;
  lot_id: string | null;
  row_updated_at: Date | null;
  from_us: bigint;
  elapsed_ms: bigint;
}

export interface OutcomeRow {
  table_name: string;
  row_key: string;
  updated: string;
  topic: string;
  partition: number;
  offset: bigint;
  sub_processor: string;
  outcome: ChangeOutcomeKind;
  workflow_id: string | null;
  run_id: string | null;
  detail: string | null;
  latency_ms: number | null;
  created_at: Date;
}

export const toRecord = (row: OutcomeRow): OutcomeRecord => ({
  tableName: row.table_name,
  rowKey: row.row_key,
  updated: row.updated,
  topic: row.topic,
  partition: row.partition,
  offset: row.offset.toString(),
  subProcessor: row.sub_processor,
  outcome: row.outcome,
  workflowId: row.workflow_id,
  runId: row.run_id,
  detail: row.detail,
  latencyMs: row.latency_ms,
  createdAt: row.created_at,
});

/**
 * What the stream workflows made of the change: its effects (stream_applied, by primary key) once anything was queued,
 * and, while something is not applied, its dead letters (a workflow-stage one by the change; a processor-stage one by
 * an offset the change was consumed at).
 */
export async function loadEffects(
  db: PrismaClient,
  table: ChangefeedTable,
  rowKey: string,
  { updated, mine }: { updated: string | null; mine: readonly OutcomeRecord[] },
): Promise<ChangeEffects> {
  if (updated === null) return { applied: [], deadLetters: [] };
  const signalled = [...new Set(mine.filter((o) => o.outcome === 'signalled').map((o) => o.subProcessor))];
  const applied =
    signalled.length === 0
      ? []
      : await db.$queryRaw<{ sub_processor: string; workflow_id: string; run_id: string; applied_at: Date; latency_ms: number | null }[]>`
          SELECT sub_processor, workflow_id, run_id, applied_at, latency_ms
          FROM stream_applied
          WHERE sub_processor = ANY(${signalled}) AND message_id = ${changeMessageId({ table, rowKey, updatedText: updated })}`;
  const unapplied = [
    ...new Set([
      ...signalled.filter((name) => !applied.some((a) => a.sub_processor === name)),
      ...mine.filter((o) => o.outcome === 'dead_lettered').map((o) => o.subProcessor),
    ]),
  ];
  const first = mine[0];
  const deadLetters =
    unapplied.length === 0 || !first
      ? []
      : await db.$queryRaw<
          { id: string; sub_processor: string; stage: DeadLetterStage; status: DeadLetterStatus; error_message: string; created_at: Date; workflow_id: string | null; run_id: string | null }[]
        >`
          SELECT id::text AS id, sub_processor, stage::text AS stage, status::text AS status, error_message, created_at, workflow_id, run_id
          FROM dead_letters
          WHERE sub_processor = ANY(${unapplied}) AND (
            (stage = 'workflow' AND table_name = ${table} AND row_key = ${rowKey} AND updated = ${updated})
            OR (stage = 'processor' AND topic = ${first.topic} AND partition = ${first.partition}
                AND "offset" = ANY(${mine.filter((o) => o.topic === first.topic && o.partition === first.partition).map((o) => BigInt(o.offset))}::bigint[])))
          ORDER BY created_at, id`;
  return {
    applied: applied.map((a) => ({ subProcessor: a.sub_processor, workflowId: a.workflow_id, runId: a.run_id, appliedAt: a.applied_at, latencyMs: a.latency_ms })),
    deadLetters: deadLetters.map((dl) => ({
      id: dl.id,
      subProcessor: dl.sub_processor,
      stage: dl.stage,
      status: dl.status,
      errorMessage: dl.error_message,
      createdAt: dl.created_at,
      workflowId: dl.workflow_id,
      runId: dl.run_id,
    })),
  };
}

/** At most this many outcome rows per row key are read; far more than one change's worth. */
export const OUTCOME_SCAN_LIMIT = 500;

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
  const horizonRead = readHorizon(db, 'change_outcomes');
  const changes = await Promise.all(
    targets.map(async ({ table, rowKey, next }) => {
      const [outcomeRows, [nextRow]] = await Promise.all([
        db.$queryRaw<OutcomeRow[]>`
          SELECT table_name, row_key, updated, topic, partition, "offset", sub_processor, outcome, workflow_id, run_id, detail, latency_ms, created_at
          FROM change_outcomes
          WHERE table_name = ${table} AND row_key = ${rowKey} AND created_at >= ${since}
          ORDER BY created_at, id LIMIT ${OUTCOME_SCAN_LIMIT}`,
        next,
      ]);
      const window = { fromNanos: microsToNanos(BigInt(adj.from_us)), beforeNanos: nextRow ? microsToNanos(BigInt(nextRow.us)) : null };
      const expected = subProcessorsByTable[table].map((sp) => sp.name);
      const records = outcomeRows.map(toRecord);
      const effects = await loadEffects(db, table, rowKey, changeOutcomes(records, window));
      return buildChangeStep(table, rowKey, records, window, expected, link, effects);
    }),
  );

  // Nothing recorded for a change older than the retention horizon: its outcomes were deleted, not never written.
  const horizon = await horizonRead;
  const expired = horizon !== null && since < horizon.expiredBefore && changes.every((change) => change.updated === null);
  return {
    adjustment: {
      ...ledgerEntry(adj),
      storeId: adj.store_id,
      sku: adj.sku,
      lotId: adj.lot_id,
      rowUpdatedAt: adj.row_updated_at?.toISOString() ?? null,
    },
    changes,
    effects: summariseEffects(changes),
    status: expired ? 'expired' : traceStatus(changes),
    expired: expired ? expiredNotice(horizon) : null,
    elapsedMs: Number(adj.elapsed_ms),
  };
}
