import { Prisma } from '../db/generated/client.ts';
import type { StreamMessage, StreamMessageSource } from '../temporal/contract.ts';
import { compareHlc, formatHlc, parseHlc } from './envelope.ts';

/**
 * The stream workflows' per-message effect ledger (`stream_applied`). A batch activity claims its messages here in
 * the same transaction as their effect: a message already claimed is skipped, so a retried or re-signalled message
 * is applied once, and a claimed message's effect is committed ("applied" means applied).
 */

/** The stream workflow run that applies the messages. */
export interface StreamRun {
  workflowId: string;
  runId: string;
}

const INT4_MAX = 2_147_483_647;

/** Where a message came from: its `source`, or (for messages signalled before `source` existed) its id `<table>:<key>@<updated>`. */
export function messageSource(message: Pick<StreamMessage, 'id' | 'source'>): Pick<StreamMessageSource, 'table' | 'rowKey' | 'updated'> | null {
  if (message.source) return message.source;
  const match = /^([a-z_][a-z0-9_]*):(.+)@(\d+\.\d+)$/.exec(message.id);
  return match ? { table: match[1]!, rowKey: match[2]!, updated: match[3]! } : null;
}

/**
 * Claims `messages` for `subProcessor` in `tx` and returns those not claimed before (in their order): the ones the
 * caller must now apply, in the same transaction.
 */
export async function claimMessages<T>(tx: Prisma.TransactionClient, subProcessor: string, messages: readonly StreamMessage<T>[], run: StreamRun, now = Date.now()): Promise<StreamMessage<T>[]> {
  if (messages.length === 0) return [];
  const claimed = await tx.$queryRaw<{ message_id: string }[]>(claimSql(subProcessor, messages, run, now));
  const fresh = new Set(claimed.map((row) => row.message_id));
  return messages.filter((message) => fresh.delete(message.id));
}

/**
 * The claim as a statement returning the newly claimed `message_id`s: usable as a CTE (`claimed AS (…)`), so a batch
 * activity can claim and apply in one statement, which Postgres runs atomically, instead of an interactive transaction.
 */
export function claimSql(subProcessor: string, messages: readonly StreamMessage<unknown>[], run: StreamRun, now = Date.now()): Prisma.Sql {
  const sources = messages.map(messageSource);
  const latency = messages.map((message) =>
    message.committedAtMs === undefined ? null : Math.max(0, Math.min(INT4_MAX, Math.round(now - message.committedAtMs))),
  );
  return Prisma.sql`
    INSERT INTO stream_applied (sub_processor, message_id, table_name, row_key, updated, workflow_id, run_id, latency_ms)
    SELECT ${subProcessor}, m.id, m.table_name, m.row_key, m.updated, ${run.workflowId}, ${run.runId}, m.latency_ms
    FROM unnest(${messages.map((message) => message.id)}::text[], ${sources.map((source) => source?.table ?? null)}::text[],
                ${sources.map((source) => source?.rowKey ?? null)}::text[], ${sources.map((source) => source?.updated ?? null)}::text[],
                ${latency}::int[]) AS m(id, table_name, row_key, updated, latency_ms)
    ON CONFLICT (sub_processor, message_id) DO NOTHING
    RETURNING message_id`;
}

/** The newest version of this message's key that `subProcessor` applied after it, if any: replaying it would go backwards. */
export async function newerApplied(db: Pick<Prisma.TransactionClient, '$queryRaw'>, subProcessor: string, source: Pick<StreamMessageSource, 'table' | 'rowKey' | 'updated'>): Promise<string | null> {
  const rows = await db.$queryRaw<{ updated: string }[]>`
    SELECT updated FROM stream_applied
    WHERE sub_processor = ${subProcessor} AND table_name = ${source.table} AND row_key = ${source.rowKey} AND updated IS NOT NULL`;
  const own = parseHlc(source.updated);
  const newer = rows.map((row) => parseHlc(row.updated)).filter((hlc) => compareHlc(hlc, own) > 0);
  return newer.length === 0 ? null : formatHlc(newer.sort(compareHlc).at(-1)!);
}
