import type { DeadLetter, DeadLetterStage, DeadLetterStatus, Prisma } from '../db/generated/client.ts';
import { InvalidDeadLetterQueryError } from './dead-letter-errors.ts';
import type { Db } from './watermarks.ts';

/** Reading dead letters: the console's view of a row, filters, pages and counts. */

/** A dead letter as the console shows it: ids and offsets as strings (JSON has no bigint). */
export interface DeadLetterView {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  /** When the key was not storable as text, a stand-in that says so (the bytes are in `messageKeyBase64`). */
  messageKey: string | null;
  /** When the value was not storable as text, a stand-in that says so (the bytes are in `payloadBase64`). */
  payload: string;
  headers: Record<string, string>;
  subProcessor: string;
  stage: DeadLetterStage;
  tableName: string | null;
  rowKey: string | null;
  updated: string | null;
  workflowId: string | null;
  runId: string | null;
  errorMessage: string;
  errorStack: string | null;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  status: DeadLetterStatus;
  resolution: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  replayAttempts: number;
  createdAt: Date;
  /** When the copy on `<topic>.dlq` was acknowledged; null if it is still to be produced. */
  dlqProducedAt: Date | null;
  /** The raw key bytes, base64, when they were kept as bytes (binary or NUL). */
  messageKeyBase64: string | null;
  /** The raw value bytes, base64 (the first RAW_VIEW_MAX_BYTES of them), when they were kept as bytes. */
  payloadBase64: string | null;
  /** The size of the raw value bytes kept, when they were. */
  payloadByteLength: number | null;
}

/** How many raw bytes a view carries as base64: enough to read, without megabytes per list row. */
export const RAW_VIEW_MAX_BYTES = 64 * 1024;

const base64Of = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes.subarray(0, RAW_VIEW_MAX_BYTES)).toString('base64'));

export function toDeadLetterView(row: DeadLetter): DeadLetterView {
  const headers: Record<string, string> = {};
  if (row.headers && typeof row.headers === 'object' && !Array.isArray(row.headers)) {
    for (const [name, value] of Object.entries(row.headers)) if (typeof value === 'string') headers[name] = value;
  }
  const { messageKeyBytes, payloadBytes, ...rest } = row;
  return {
    ...rest,
    id: row.id.toString(),
    offset: row.offset.toString(),
    headers,
    messageKeyBase64: base64Of(messageKeyBytes),
    payloadBase64: base64Of(payloadBytes),
    payloadByteLength: payloadBytes === null ? null : payloadBytes.length,
  };
}

export interface DeadLetterFilter {
  topic?: string;
  subProcessor?: string;
  status?: DeadLetterStatus | DeadLetterStatus[];
  /** Case-insensitive substring of the error message. */
  errorText?: string;
  /** On `createdAt` (when the entry was first recorded): from inclusive, to exclusive. */
  from?: Date;
  to?: Date;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size, 1–200; 50 if unset. */
  limit?: number;
}

export interface DeadLetterPage {
  items: DeadLetterView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

export function parseId(id: string | bigint): bigint | null {
  if (typeof id === 'bigint') return id;
  return /^\d{1,19}$/.test(id) ? BigInt(id) : null;
}

/** The Prisma condition for a filter (also what a bulk operation's selection pages through). */
export function whereFor(filter: Omit<DeadLetterFilter, 'cursor' | 'limit'>): Prisma.DeadLetterWhereInput {
  const where: Prisma.DeadLetterWhereInput = {};
  if (filter.topic) where.topic = filter.topic;
  if (filter.subProcessor) where.subProcessor = filter.subProcessor;
  if (filter.status !== undefined) where.status = Array.isArray(filter.status) ? { in: filter.status } : filter.status;
  if (filter.errorText) where.errorMessage = { contains: filter.errorText, mode: 'insensitive' };
  if (filter.from || filter.to) where.createdAt = { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) };
  return where;
}

/** Newest first, by id (which follows insertion order); cursor pagination on the id. */
export async function listDeadLetters(db: Db, filter: DeadLetterFilter = {}): Promise<DeadLetterPage> {
  const limit = filter.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InvalidDeadLetterQueryError(`limit must be an integer from 1 to ${MAX_PAGE}`);
  const where = whereFor(filter);
  if (filter.cursor !== undefined) {
    const cursor = parseId(filter.cursor);
    if (cursor === null) throw new InvalidDeadLetterQueryError(`cursor "${filter.cursor}" is not one this API returned`);
    where.id = { lt: cursor };
  }
  const rows = await db.deadLetter.findMany({ where, orderBy: { id: 'desc' }, take: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toDeadLetterView), nextCursor: rows.length > limit && last ? last.id.toString() : null };
}

export async function countDeadLetters(db: Db, filter: Omit<DeadLetterFilter, 'cursor' | 'limit'> = {}): Promise<number> {
  return db.deadLetter.count({ where: whereFor(filter) });
}

export async function getDeadLetter(db: Db, id: string | bigint): Promise<DeadLetterView | null> {
  const parsed = parseId(id);
  if (parsed === null) return null;
  const row = await db.deadLetter.findUnique({ where: { id: parsed } });
  return row ? toDeadLetterView(row) : null;
}
