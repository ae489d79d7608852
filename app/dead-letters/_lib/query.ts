import { z } from 'zod';

/**
 * The dead-letter filter as it travels in URLs: the page's query string (so a view can be shared) and the
 * API's. Pure, so the page and the route handlers parse it the same way.
 */
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
