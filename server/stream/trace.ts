import type { DeadLetterStage, DeadLetterStatus, PrismaClient } from '../db/generated/client.ts';
import {
  buildChangeStep,
  deadLetterUrl,
  loadEffects,
  OUTCOME_SCAN_LIMIT,
  toRecord,
  type ChangeStep,
  type OutcomeRow,
  type TraceStatus,
  type WorkflowLink,
} from '../inventory/downstream.ts';
import { ledgerEntry, type LedgerEntry, type LedgerEntryColumns } from '../inventory/ledger-entry.ts';
import { hlcProblem, hlcToMillis, parseHlc } from './envelope.ts';
import type { TraceQuery } from './requests.ts';
import { subProcessorsByTable } from './registry.ts';
import { expiredNotice, readHorizon } from './retention.ts';
import { traceKeyHref } from './trace-links.ts';
import { changefeedTables, type ChangefeedTable } from './tables.ts';

/**
 * The trace of any change, looked up by its row (table + primary key, optionally one version by `updated`) or by the
 * Kafka message that carried it (topic/partition/offset): the row change (with the stock adjustment that wrote it,
 * when one did) → its offset → each sub-processor's verdict → the stream workflow run that applied it → its dead
 * letters and what replaying them did. The per-change part is the inventory trace's (server/inventory/downstream.ts).
 */

const TABLES = Object.keys(changefeedTables) as ChangefeedTable[];

/** 404: nothing at all is recorded for what was asked. */
export class TraceNotFoundError extends Error {
  override name = 'TraceNotFoundError';
}

export interface TraceVersion {
  updated: string;
  committedAt: string;
  topic: string;
  partition: number;
  offset: string;
  /** Its trace. */
  href: string;
}

/** The ledger entry that wrote the change, when a console or CLI stock adjustment did. */
export type TraceAdjustment = LedgerEntry;

/** A dead letter of the change and what became of it (replayed, superseded, discarded, or still pending). */
export interface TraceDeadLetter {
  id: string;
  url: string;
  subProcessor: string;
  stage: DeadLetterStage;
  status: DeadLetterStatus;
  error: string;
  at: string;
  attempts: number;
  replayAttempts: number;
  resolution: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** The stream workflow run that gave up on it (stage `workflow`), by run ID. */
  workflowId: string | null;
  runId: string | null;
  workflowUrl: string | null;
  position: { topic: string; partition: number; offset: string };
}

export interface TraceView {
  table: ChangefeedTable | null;
  rowKey: string | null;
  /** Recent versions of the row, newest first: each links to its own trace. */
  versions: TraceVersion[];
  /** The version traced; null when nothing of the row is recorded. */
  updated: string | null;
  adjustment: TraceAdjustment | null;
  change: ChangeStep | null;
  deadLetters: TraceDeadLetter[];
  status: TraceStatus;
  /** Set when the status is `expired`. */
  expired: string | null;
}

const VERSION_LIMIT = 20;


const wallMillis = (updated: string): number => hlcToMillis(parseHlc(updated));

async function loadVersions(db: PrismaClient, table: ChangefeedTable, rowKey: string): Promise<TraceVersion[]> {
  const rows = await db.$queryRaw<{ updated: string; topic: string; partition: number; offset: bigint }[]>`
    SELECT DISTINCT ON (updated) updated, topic, partition, "offset"
    FROM (SELECT updated, topic, partition, "offset", created_at, id FROM change_outcomes
          WHERE table_name = ${table} AND row_key = ${rowKey} ORDER BY created_at DESC LIMIT ${OUTCOME_SCAN_LIMIT}) recent
    ORDER BY updated, created_at, id`;
  return rows
    .filter((row) => hlcProblem(row.updated) === null)
    .map((row) => ({ ...row, hlc: parseHlc(row.updated) }))
    .sort((a, b) => (a.hlc.wall === b.hlc.wall ? b.hlc.logical - a.hlc.logical : a.hlc.wall < b.hlc.wall ? 1 : -1))
    .slice(0, VERSION_LIMIT)
    .map((row) => ({
      updated: row.updated,
      committedAt: new Date(hlcToMillis(row.hlc)).toISOString(),
      topic: row.topic,
      partition: row.partition,
      offset: row.offset.toString(),
      href: traceKeyHref(table, rowKey, row.updated),
    }));
}

/**
 * The stock adjustment whose change this is: the latest ledger entry of the level row written at or before the
 * commit, provided no earlier recorded version of the row falls between them (that one would be its change). Lots
 * have no ledger time of their own, so only level changes are matched.
 */
async function findAdjustment(db: PrismaClient, table: ChangefeedTable, rowKey: string, updated: string, versions: readonly TraceVersion[]): Promise<TraceAdjustment | null> {
  if (table !== 'inventory_levels') return null;
  const [storeId, sku] = JSON.parse(rowKey) as string[];
  const commitUs = parseHlc(updated).wall / 1000n;
  const [adj] = await db.$queryRaw<
    (LedgerEntryColumns & { wrote_us: bigint })[]
  >`
    SELECT id, delta, reason::text AS reason, note, actor, on_hand_after, created_at, (extract(epoch FROM row_updated_at) * 1000000)::bigint AS wrote_us
    FROM inventory_adjustments
    WHERE store_id = ${storeId} AND sku = ${sku} AND row_updated_at <= to_timestamp(${Number(commitUs)}::double precision / 1000000)
    ORDER BY row_updated_at DESC LIMIT 1`;
  if (!adj) return null;
  const wroteNanos = BigInt(adj.wrote_us) * 1000n;
  const thisWall = parseHlc(updated).wall;
  if (versions.some((v) => v.updated !== updated && parseHlc(v.updated).wall >= wroteNanos && parseHlc(v.updated).wall < thisWall)) return null;
  return ledgerEntry(adj);
}

interface DeadLetterRow {
  id: string;
  sub_processor: string;
  stage: DeadLetterStage;
  status: DeadLetterStatus;
  error_message: string;
  created_at: Date;
  attempts: number;
  replay_attempts: number;
  resolution: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  workflow_id: string | null;
  run_id: string | null;
  topic: string;
  partition: number;
  offset: bigint;
}

function toDeadLetter(row: DeadLetterRow, link: WorkflowLink): TraceDeadLetter {
  return {
    id: row.id,
    url: deadLetterUrl(row.id),
    subProcessor: row.sub_processor,
    stage: row.stage,
    status: row.status,
    error: row.error_message,
    at: row.created_at.toISOString(),
    attempts: row.attempts,
    replayAttempts: row.replay_attempts,
    resolution: row.resolution,
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    resolvedBy: row.resolved_by,
    workflowId: row.workflow_id,
    runId: row.run_id,
    workflowUrl: row.workflow_id ? link(row.workflow_id, row.run_id) : null,
    position: { topic: row.topic, partition: row.partition, offset: row.offset.toString() },
  };
}

/** Every dead letter of the change: a workflow-stage one by the change, any other by a message that carried it. */
async function loadDeadLetters(
  db: PrismaClient,
  change: { table: string | null; rowKey: string | null; updated: string | null },
  positions: readonly { topic: string; partition: number; offset: string }[],
  link: WorkflowLink,
): Promise<TraceDeadLetter[]> {
  const topics = positions.map((p) => p.topic);
  const partitions = positions.map((p) => p.partition);
  const offsets = positions.map((p) => BigInt(p.offset));
  const rows = await db.$queryRaw<DeadLetterRow[]>`
    SELECT id::text AS id, sub_processor, stage::text AS stage, status::text AS status, error_message, created_at, attempts, replay_attempts,
           resolution, resolved_at, resolved_by, workflow_id, run_id, topic, partition, "offset"
    FROM dead_letters
    WHERE (table_name = ${change.table} AND row_key = ${change.rowKey} AND updated = ${change.updated})
       OR (topic, partition, "offset") IN (SELECT * FROM unnest(${topics}::text[], ${partitions}::int[], ${offsets}::bigint[]))
    ORDER BY created_at, id`;
  return rows.map((row) => toDeadLetter(row, link));
}

/** One version of a row: its outcomes, effects and dead letters. */
async function traceVersion(
  db: PrismaClient,
  table: ChangefeedTable,
  rowKey: string,
  updated: string,
  versions: TraceVersion[],
  link: WorkflowLink,
): Promise<Pick<TraceView, 'change' | 'deadLetters' | 'adjustment'>> {
  const outcomeRows = await db.$queryRaw<OutcomeRow[]>`
    SELECT table_name, row_key, updated, topic, partition, "offset", sub_processor, outcome, workflow_id, run_id, detail, latency_ms, created_at
    FROM change_outcomes
    WHERE table_name = ${table} AND row_key = ${rowKey} AND updated = ${updated}
    ORDER BY created_at, id LIMIT ${OUTCOME_SCAN_LIMIT}`;
  const records = outcomeRows.map(toRecord);
  // Every record is of this one version: the window only has to admit it.
  const window = { fromNanos: 0n };
  const mine = records.toSorted((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const [effects, adjustment] = await Promise.all([
    loadEffects(db, table, rowKey, { updated: records.length > 0 ? updated : null, mine }),
    findAdjustment(db, table, rowKey, updated, versions),
  ]);
  const expected = subProcessorsByTable[table].map((sp) => sp.name);
  const change = buildChangeStep(table, rowKey, records, window, expected, link, effects);
  const positions = [change.kafka, ...change.redeliveries].filter((p) => p !== null);
  const deadLetters = await loadDeadLetters(db, { table, rowKey, updated }, positions, link);
  return { change, deadLetters, adjustment };
}

/** The trace of what was asked; TraceNotFoundError when nothing of it is recorded and retention does not explain why. */
export async function loadTrace(db: PrismaClient, query: TraceQuery, link: WorkflowLink): Promise<TraceView> {
  const horizon = await readHorizon(db, 'change_outcomes');
  let table: ChangefeedTable;
  let rowKey: string;
  let wanted: string | undefined;

  if (query.by === 'offset') {
    const [hit] = await db.$queryRaw<{ table_name: string; row_key: string; updated: string }[]>`
      SELECT table_name, row_key, updated FROM change_outcomes
      WHERE topic = ${query.topic} AND partition = ${query.partition} AND "offset" = ${query.offset}
      ORDER BY created_at, id LIMIT 1`;
    const known = hit && (TABLES as string[]).includes(hit.table_name);
    if (!known) {
      // A message that could not be read (stage decode) has no change: its dead letter is all there is to show.
      const position = { topic: query.topic, partition: query.partition, offset: query.offset.toString() };
      const deadLetters = await loadDeadLetters(db, { table: null, rowKey: null, updated: null }, [position], link);
      if (deadLetters.length === 0) {
        const retention = horizon ? ` ${expiredNotice(horizon)} A message consumed before then has no trace left.` : '';
        throw new TraceNotFoundError(`Nothing is recorded for ${query.topic} partition ${query.partition} offset ${query.offset}.${retention}`);
      }
      const status = deadLetters.some((dl) => dl.status === 'pending') ? 'failed' : 'done';
      return { table: null, rowKey: null, versions: [], updated: null, adjustment: null, change: null, deadLetters, status, expired: null };
    }
    table = hit.table_name as ChangefeedTable;
    rowKey = hit.row_key;
    wanted = hit.updated;
  } else {
    table = query.table;
    rowKey = query.key;
    wanted = query.updated;
  }

  const versions = await loadVersions(db, table, rowKey);
  const updated = wanted ?? versions[0]?.updated ?? null;
  const traced = updated === null ? { change: null, deadLetters: [], adjustment: null } : await traceVersion(db, table, rowKey, updated, versions, link);
  if (traced.change && traced.change.updated !== null) {
    return { table, rowKey, versions, updated, ...traced, status: traced.change.status, expired: null };
  }

  // Nothing processed is recorded for this version (or for any version of the row).
  const committedAt = updated !== null ? new Date(wallMillis(updated)) : await rowWrittenAt(db, table, rowKey);
  if (committedAt === null && traced.deadLetters.length === 0) {
    const retention = horizon ? ` ${expiredNotice(horizon)}` : '';
    throw new TraceNotFoundError(`Nothing is recorded for ${table} ${rowKey}, and there is no such row.${retention}`);
  }
  if (horizon && committedAt !== null && committedAt < horizon.expiredBefore) {
    return { table, rowKey, versions, updated, ...traced, change: null, status: 'expired', expired: expiredNotice(horizon) };
  }
  return { table, rowKey, versions, updated, ...traced, status: traced.deadLetters.some((dl) => dl.status === 'pending') ? 'failed' : 'waiting', expired: null };
}

/** When the row itself was last written (its updated_at), for a row with no recorded change; null when there is no such row. */
async function rowWrittenAt(db: PrismaClient, table: ChangefeedTable, rowKey: string): Promise<Date | null> {
  const key = JSON.parse(rowKey) as string[];
  if (table === 'inventory_levels') {
    const [row] = await db.$queryRaw<{ updated_at: Date }[]>`SELECT updated_at FROM inventory_levels WHERE store_id = ${key[0]} AND sku = ${key[1]}`;
    return row?.updated_at ?? null;
  }
  const [row] = await db.$queryRaw<{ updated_at: Date }[]>`SELECT updated_at FROM inventory_lots WHERE lot_id = ${key[0]}`;
  return row?.updated_at ?? null;
}
