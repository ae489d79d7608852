/**
 * What the stream area's API routes accept (/api/stream/**, /api/dead-letters/**): every request schema of the
 * area, and the URL forms of the dead-letter filter the page shares with the API. Zod only (no server imports),
 * so the /dead-letters page parses its own URL with the same rules.
 */
import { z } from 'zod';
import { freeText } from '../http/text-rules.ts';
import type { BulkSelection } from './bulk-ops.ts';
import type { DeadLetterFilter } from './dead-letter-query.ts';
import { encodeKey, hlcProblem } from './envelope.ts';
import { changefeedTables, type ChangefeedTable } from './tables.ts';

// ─── /api/stream/trace ─────────────────────────────────────────────────────────────────────────────────

const TABLES = Object.keys(changefeedTables) as [ChangefeedTable, ...ChangefeedTable[]];

const rowKeySchema = z
  .string()
  .max(2048, 'key: at most 2 KB')
  .transform((text, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'key must be the JSON array of the primary key, e.g. ["SF-001","SKU-1"]' });
      return z.NEVER;
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((part) => typeof part === 'string' && part.length > 0)) {
      ctx.addIssue({ code: 'custom', message: 'key must be a JSON array of non-empty strings, e.g. ["SF-001","SKU-1"]' });
      return z.NEVER;
    }
    return encodeKey(parsed);
  });

const byKeySchema = z.object({
  table: z.enum(TABLES, { error: `table must be one of ${TABLES.join(', ')}` }),
  key: rowKeySchema,
  updated: z
    .string()
    .refine((text) => hlcProblem(text) === null, { message: 'updated must be a changefeed HLC such as 1795440000000250000.0000000000' })
    .optional(),
});

const byOffsetSchema = z.object({
  topic: z.string().min(1).max(249, 'topic: at most 249 characters'),
  partition: z.coerce.number({ error: 'partition must be a whole number' }).int('partition must be a whole number').min(0).max(100_000),
  offset: z
    .string()
    .regex(/^\d{1,19}$/, 'offset must be a whole number')
    .transform((text) => BigInt(text)),
});

export type TraceQuery = ({ by: 'key' } & z.output<typeof byKeySchema>) | ({ by: 'offset' } & z.output<typeof byOffsetSchema>);

/** `?table=&key=[&updated=]` or `?topic=&partition=&offset=`; a ZodError (422) names what is wrong. */
export function parseTraceQuery(params: URLSearchParams): TraceQuery {
  const raw = Object.fromEntries(params.entries());
  if (raw.topic !== undefined || raw.offset !== undefined || raw.partition !== undefined) return { by: 'offset', ...byOffsetSchema.parse(raw) };
  if (raw.table === undefined && raw.key === undefined) {
    throw new z.ZodError([{ code: 'custom', path: ['table'], message: 'look a change up by table and key, or by topic, partition and offset', input: raw }]);
  }
  const byKey = byKeySchema.parse(raw);
  const columns = changefeedTables[byKey.table].primaryKey;
  if ((JSON.parse(byKey.key) as string[]).length !== columns.length) {
    throw new z.ZodError([{ code: 'custom', path: ['key'], message: `a key of ${byKey.table} has ${columns.length} part(s): ${columns.join(', ')}`, input: raw.key }]);
  }
  return { by: 'key', ...byKey };
}

// ─── /api/dead-letters ────────────────────────────────────────────────────────────────────────────────

// The dead-letter filter travels in URLs: the page's query string (so a view can be shared) and the API's.
export const DEAD_LETTER_STATES = ['pending', 'replayed', 'superseded', 'discarded'] as const;
export type DeadLetterState = (typeof DEAD_LETTER_STATES)[number];

/** `state` absent means pending: the work queue is what an engineer opens the page for. */
export const DEFAULT_STATE: DeadLetterState = 'pending';

const text = (name: string, max: number) =>
  z
    .string()
    .trim()
    .max(max, `${name} must be at most ${max} characters`)
    .transform((value) => value || undefined)
    .optional();

const instant = (name: string) =>
  z
    .string()
    .trim()
    .transform((value) => value || undefined)
    .pipe(z.iso.datetime({ offset: true, error: `${name} must be an ISO date-time, e.g. 2026-01-31T09:00:00Z` }).optional())
    .transform((value) => (value === undefined ? undefined : new Date(value)))
    .optional();

/** The filter fields, shared by the list, the count and a bulk replay by filter. */
export const deadLetterFilterSchema = z
  .object({
    topic: text('topic', 200),
    subProcessor: text('subProcessor', 100),
    errorText: text('errorText', 200),
    from: instant('from'),
    to: instant('to'),
  })
  .refine((filter) => !filter.from || !filter.to || filter.from < filter.to, { message: '"from" must be before "to"', path: ['to'] });

export const deadLetterStateSchema = z
  .enum([...DEAD_LETTER_STATES, 'all'], { error: `state must be one of ${[...DEAD_LETTER_STATES, 'all'].join(', ')}` })
  .default(DEFAULT_STATE);

export const deadLetterListSchema = z.object({
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, 'cursor must be a value returned as nextCursor')
    .optional(),
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(200, 'limit must be at most 200')
    .default(50),
});

export const deadLetterIdSchema = z.string().regex(/^\d{1,19}$/, 'a dead letter id is a positive whole number');

export interface DeadLetterQuery {
  topic?: string;
  subProcessor?: string;
  errorText?: string;
  from?: Date;
  to?: Date;
  state: DeadLetterState | 'all';
}

const KEYS = ['topic', 'subProcessor', 'errorText', 'from', 'to', 'state'] as const;

function pick(params: URLSearchParams, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = params.get(key);
    if (value !== null) out[key] = value;
  }
  return out;
}

/** Parses the filter (and state) of a query string; throws a ZodError with a clear message on bad input. */
export function parseDeadLetterQuery(params: URLSearchParams): DeadLetterQuery {
  const raw = pick(params, KEYS);
  const filter = deadLetterFilterSchema.parse(raw);
  const state = deadLetterStateSchema.parse(raw.state);
  return { ...filter, state };
}

/** Like parseDeadLetterQuery, but never throws: the page falls back to no filter for a bad shared link. */
export function safeParseDeadLetterQuery(params: URLSearchParams): { query: DeadLetterQuery; error?: string } {
  try {
    return { query: parseDeadLetterQuery(params) };
  } catch (err) {
    const message = err instanceof z.ZodError ? err.issues.map((issue) => issue.message).join('; ') : String(err);
    return { query: { state: DEFAULT_STATE }, error: message };
  }
}

/** The query string for a filter: only set fields, the default state left out, so links stay short. */
export function deadLetterQueryString(query: Partial<DeadLetterQuery>): string {
  const params = new URLSearchParams();
  if (query.topic) params.set('topic', query.topic);
  if (query.subProcessor) params.set('subProcessor', query.subProcessor);
  if (query.errorText) params.set('errorText', query.errorText);
  if (query.from) params.set('from', query.from.toISOString());
  if (query.to) params.set('to', query.to.toISOString());
  if (query.state && query.state !== DEFAULT_STATE) params.set('state', query.state);
  return params.toString();
}

/** The filter fields only (no state), as sent in a bulk replay by filter. */
export function filterBody(query: DeadLetterQuery): Record<string, string> {
  const body: Record<string, string> = {};
  if (query.topic) body.topic = query.topic;
  if (query.subProcessor) body.subProcessor = query.subProcessor;
  if (query.errorText) body.errorText = query.errorText;
  if (query.from) body.from = query.from.toISOString();
  if (query.to) body.to = query.to.toISOString();
  return body;
}

/** The filter for the query functions (server/stream/dead-letter-query.ts): `state` becomes a status, `all` none. */
export function toFilter(query: Omit<DeadLetterQuery, 'state'> & { state?: DeadLetterQuery['state'] }): Omit<DeadLetterFilter, 'cursor' | 'limit'> {
  const { state, ...rest } = query;
  return { ...rest, ...(state && state !== 'all' ? { status: state } : {}) };
}

/** The body of POST /api/dead-letters/:id/discard. */
export const discardSchema = z.object({
  reason: z
    .string({ error: 'reason is required' })
    .pipe(freeText('reason', 500))
    .pipe(z.string().min(1, 'A reason is required to discard a dead letter; it goes into the audit log.')),
});

// ─── /api/dead-letters/bulk-ops ───────────────────────────────────────────────────────────────────────

/** The most explicit ids one operation takes (a filter has no cap). */
export const BULK_IDS_MAX = 10_000;
export const BULK_RATE_MAX = 1000;

/** `{ ids }` or `{ filter }` (strict keys: a misspelt filter field would otherwise widen the selection to everything). */
export const bulkSelectionSchema = z
  .strictObject({
    ids: z.array(deadLetterIdSchema).min(1, 'Select at least one dead letter.').max(BULK_IDS_MAX, `At most ${BULK_IDS_MAX} ids; select by filter for more.`).optional(),
    filter: z
      .strictObject(
        { topic: z.unknown(), subProcessor: z.unknown(), errorText: z.unknown(), from: z.unknown(), to: z.unknown() },
        {
          error: (issue) =>
            issue.code === 'unrecognized_keys'
              ? `unknown filter field ${issue.keys.join(', ')}: the filter takes topic, subProcessor, errorText, from and to`
              : 'filter must be an object',
        },
      )
      .partial()
      .pipe(deadLetterFilterSchema)
      .optional(),
  })
  .refine((selection) => (selection.ids === undefined) !== (selection.filter === undefined), {
    message: 'Send either { "ids": [...] } or { "filter": { topic?, subProcessor?, errorText?, from?, to? } }.',
  })
  .transform((selection): BulkSelection => (selection.ids ? { ids: selection.ids } : { filter: selection.filter ?? {} }));

/** A bulk operation's selection as the page sends it: explicit ids, or the filter fields (no state: pending only). */
export type BulkSelectionBody = { ids: string[] } | { filter: Record<string, string> };

const BULK_FILTER_KEYS = ['topic', 'subProcessor', 'errorText', 'from', 'to'] as const;

/** GET /api/dead-letters/bulk-ops/preview: `ids` (a comma list) or the filter fields of the query string. */
export function parseBulkPreviewQuery(params: URLSearchParams): BulkSelection {
  const ids = params.get('ids');
  const filter = Object.fromEntries(BULK_FILTER_KEYS.flatMap((key) => (params.get(key) === null ? [] : [[key, params.get(key)]])));
  return bulkSelectionSchema.parse(ids !== null ? { ids: ids.split(',').filter(Boolean) } : { filter });
}

/** The body of POST /api/dead-letters/bulk-ops. */
export const bulkStartSchema = z.object({
  kind: z.enum(['replay', 'discard'], { error: 'kind must be replay or discard' }),
  selection: bulkSelectionSchema,
  reason: z
    .string({ error: 'reason is required' })
    .pipe(freeText('reason', 500))
    .pipe(z.string().trim().min(1, 'A reason is required for a bulk operation; it goes into the audit log.')),
  confirmedCount: z.number({ error: 'confirmedCount (the previewed count you confirmed) is required' }).int().min(1),
  ratePerSecond: z.number().positive().max(BULK_RATE_MAX).optional(),
});

/** The :opId of /api/dead-letters/bulk-ops/:opId[/cancel]. */
export const bulkOpParamsSchema = z.object({ opId: z.string().regex(/^[\w-]{1,64}$/, 'opId must be a bulk operation id (letters, digits, - and _)') });

/** A page of an operation's per-entry results: `after` from the previous page's `nextAfter`. */
export const bulkOpPageSchema = z.object({
  after: z.string().regex(/^\d{1,19}$/, 'after must be a value returned as nextAfter').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
