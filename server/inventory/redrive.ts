import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { recordAudit } from '../audit/audit-row.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { hasControlCharacters, hasControlCharactersBesidesLines } from '../http/text-rules.ts';
import { UnknownStockItemError } from './errors.ts';
import { countScope, touchScopeBatch, type TouchScope, type TouchTable } from './touch.ts';

/**
 * Re-drive: an operator's recovery by touch over one store's rows, optionally narrowed to a SKU prefix, in
 * inventory_levels and (when asked) inventory_lots. A preview counts the rows; the re-drive refuses a selection
 * over its cap rather than paging through it, so what the operator confirmed is what runs. Rows are touched in
 * batches of their own transactions (the stream starts on the first while the rest follow), and one audit row
 * is written in the last batch's transaction, or after a failure with how far it got.
 */

/** The most rows one console re-drive touches; `npm run touch` may raise it to REDRIVE_CLI_MAX_ROWS with --limit. */
export const REDRIVE_MAX_ROWS = 5_000;
export const REDRIVE_CLI_MAX_ROWS = 100_000;
/** Rows per transaction. */
export const REDRIVE_BATCH_ROWS = 1_000;

// Postgres text cannot hold NUL, and no store, SKU or reason needs other control characters.
const storeId = z
  .string({ error: 'store is required' })
  .trim()
  .min(1, 'Choose a store: a re-drive covers one store at a time.')
  .max(64, 'store is limited to 64 characters')
  .refine((value) => !hasControlCharacters(value), 'store must not contain control characters (such as NUL)');

const skuPrefix = z
  .string({ error: 'SKU prefix must be text' })
  .trim()
  .max(64, 'SKU prefix is limited to 64 characters')
  .refine((value) => !hasControlCharacters(value), 'SKU prefix must not contain control characters (such as NUL)')
  .optional()
  .transform((value) => (value ? value : undefined));

export const redriveSelectionSchema = z.object({
  storeId,
  /** Case-sensitive and literal: % and _ are characters of the SKU, not wildcards. Empty means every SKU. */
  skuPrefix,
  includeLots: z.boolean({ error: 'includeLots must be true or false' }).default(false),
});
export type RedriveSelection = z.output<typeof redriveSelectionSchema>;

export const redriveRequestSchema = redriveSelectionSchema.extend({
  reason: z
    .string({ error: 'reason is required' })
    .trim()
    .min(1, 'A reason is required to re-drive rows; it goes into the audit log.')
    .max(500, 'reason is limited to 500 characters')
    .refine((value) => !hasControlCharactersBesidesLines(value), 'reason must not contain control characters (such as NUL)'),
});
export type RedriveRequest = z.input<typeof redriveRequestSchema>;

const lotsFlag = z
  .enum(['1', 'true', '0', 'false', ''], { error: 'lots must be 1, true, 0 or false' })
  .optional()
  .transform((value) => value === '1' || value === 'true');

/** The preview's query string: `store`, `skuPrefix`, `lots`. Throws ZodError (422) on bad input. */
export function parseRedriveQuery(params: URLSearchParams): RedriveSelection {
  const pick = (name: string) => params.get(name) ?? undefined;
  const includeLots = lotsFlag.parse(pick('lots'));
  return redriveSelectionSchema.parse({ storeId: pick('store') ?? pick('storeId'), skuPrefix: pick('skuPrefix'), includeLots });
}

export class RedriveTooBroadError extends Error {
  override name = 'RedriveTooBroadError';
  constructor(
    readonly matching: number,
    readonly max: number,
  ) {
    super(
      `${matching.toLocaleString('en-US')} rows match; one re-drive takes at most ${max.toLocaleString('en-US')}. ` +
        'Narrow the selection with a longer SKU prefix, or leave out lots.',
    );
  }
}

export class NothingToRedriveError extends Error {
  override name = 'NothingToRedriveError';
}

export interface RedrivePreview {
  storeId: string;
  skuPrefix: string | null;
  includeLots: boolean;
  levels: number;
  /** null when lots are not included. */
  lots: number | null;
  total: number;
  max: number;
  overCap: boolean;
}

export interface RedriveResult {
  storeId: string;
  skuPrefix: string | null;
  includeLots: boolean;
  /** Rows the selection matched when the re-drive started. */
  matched: number;
  levels: number;
  lots: number;
  total: number;
  batches: number;
  auditId: string;
}

export interface RedriveOptions {
  /** Refuse selections over this many rows (default REDRIVE_MAX_ROWS). */
  maxRows?: number;
  batchRows?: number;
  /** Where it was started from, for the audit row. */
  via: 'console' | 'cli';
  /** After each committed batch. */
  onProgress?: (progress: { touched: number; total: number }) => void;
}

interface Progress {
  levels: number;
  lots: number;
  batches: number;
}
const totalOf = (progress: Progress) => progress.levels + progress.lots;
const afterBatch = (progress: Progress, table: TouchTable, rows: number): Progress =>
  table === 'inventory_levels'
    ? { ...progress, levels: progress.levels + rows, batches: progress.batches + 1 }
    : { ...progress, lots: progress.lots + rows, batches: progress.batches + 1 };

const tablesOf = (selection: RedriveSelection): TouchTable[] =>
  selection.includeLots ? ['inventory_levels', 'inventory_lots'] : ['inventory_levels'];

const scopeOf = (selection: RedriveSelection): TouchScope => ({ storeId: selection.storeId, skuPrefix: selection.skuPrefix });

/** What the audit log shows as the target, e.g. `inventory_levels+inventory_lots:NY-102/PRD-*`. */
export function redriveTarget(selection: RedriveSelection): string {
  return `${tablesOf(selection).join('+')}:${selection.storeId}/${selection.skuPrefix ?? ''}*`;
}

/** Counts the rows a re-drive of the selection would touch. An unknown store is an error, not zero rows. */
export async function previewRedrive(db: PrismaClient, input: z.input<typeof redriveSelectionSchema>, max = REDRIVE_MAX_ROWS): Promise<RedrivePreview> {
  const selection = redriveSelectionSchema.parse(input);
  const store = await db.store.findUnique({ where: { storeId: selection.storeId }, select: { storeId: true } });
  if (!store) throw new UnknownStockItemError(`Unknown store "${selection.storeId}".`);
  const scope = scopeOf(selection);
  const levels = await countScope(db, 'inventory_levels', scope);
  const lots = selection.includeLots ? await countScope(db, 'inventory_lots', scope) : null;
  const total = levels + (lots ?? 0);
  return { storeId: selection.storeId, skuPrefix: selection.skuPrefix ?? null, includeLots: selection.includeLots, levels, lots, total, max, overCap: total > max };
}

/**
 * Re-drives the selection: bumps updated_at on every row it matches (never more than the cap, even if rows
 * appear meanwhile) and writes one `inventory.redrive` audit row with who, what, how many and why.
 */
export async function redriveRows(db: PrismaClient, input: RedriveRequest, actor: Actor, options: RedriveOptions): Promise<RedriveResult> {
  const request = redriveRequestSchema.parse(input);
  const maxRows = options.maxRows ?? REDRIVE_MAX_ROWS;
  const batchRows = options.batchRows ?? REDRIVE_BATCH_ROWS;
  const preview = await previewRedrive(db, request, maxRows);
  if (preview.total === 0) throw new NothingToRedriveError('No rows match this selection; there is nothing to re-drive.');
  if (preview.overCap) throw new RedriveTooBroadError(preview.total, maxRows);

  const tables = tablesOf(request);
  const scope = scopeOf(request);
  /** What has committed so far. */
  let done: Progress = { levels: 0, lots: 0, batches: 0 };

  const audit = (tx: Pick<PrismaClient, 'auditLog'>, progress: Progress, outcome: { completed: boolean; error?: string }) =>
    recordAudit(tx, {
      actor,
      action: 'inventory.redrive',
      target: redriveTarget(request),
      reason: request.reason,
      details: {
        storeId: request.storeId,
        skuPrefix: request.skuPrefix ?? null,
        includeLots: request.includeLots,
        via: options.via,
        matched: preview.total,
        touched: { levels: progress.levels, lots: progress.lots, total: totalOf(progress) },
        batches: progress.batches,
        max: maxRows,
        ...outcome,
      },
    });

  try {
    let tableIndex = 0;
    let after: string | null = null;
    for (;;) {
      const table = tables[tableIndex];
      if (!table) throw new Error(`re-drive ran past its last table (index ${tableIndex})`);
      // Positive: the loop returns once the cap is reached.
      const limit = Math.min(batchRows, maxRows - totalOf(done));
      const step = await db.$transaction(async (tx) => {
        const batch = await touchScopeBatch(tx, table, scope, after, limit);
        const next = afterBatch(done, table, batch.touched);
        const tableDone = batch.touched < limit;
        const finished = totalOf(next) >= maxRows || (tableDone && tableIndex === tables.length - 1);
        // The last batch carries the audit row, so the row commits with it.
        const auditId = finished ? (await audit(tx, next, { completed: true })).id.toString() : null;
        return { next, last: batch.last, tableDone, auditId };
      });
      done = step.next;
      options.onProgress?.({ touched: totalOf(done), total: preview.total });
      if (step.auditId !== null) {
        return {
          storeId: request.storeId,
          skuPrefix: request.skuPrefix ?? null,
          includeLots: request.includeLots,
          matched: preview.total,
          levels: done.levels,
          lots: done.lots,
          total: totalOf(done),
          batches: done.batches,
          auditId: step.auditId,
        };
      }
      if (step.tableDone) {
        tableIndex += 1;
        after = null;
      } else {
        after = step.last;
      }
    }
  } catch (err) {
    if (totalOf(done) === 0) throw err;
    // Some batches committed: record how far it got, then report the failure.
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    try {
      await audit(db, done, { completed: false, error: message });
    } catch (auditErr) {
      throw new AggregateError([err, auditErr], `The re-drive failed after touching ${totalOf(done)} rows, and its audit row could not be written.`);
    }
    throw err;
  }
}
