import type { BulkOpView, BulkResultView } from './bulk-ops.ts';
import type { DeadLetterView } from './dead-letter-query.ts';
import type { ReplayResult } from './dead-letter-replay.ts';

/**
 * What the dead-letter API routes answer: one type per answer, which the route returns and the /dead-letters page
 * reads (as `Wire<…>` from components/api-client.ts: dates arrive as ISO strings).
 */

/** A table row: what the list shows, without the payload and stack (the detail view loads those). */
export type DeadLetterSummary = Pick<
  DeadLetterView,
  | 'id'
  | 'topic'
  | 'partition'
  | 'offset'
  | 'subProcessor'
  | 'tableName'
  | 'rowKey'
  | 'errorMessage'
  | 'attempts'
  | 'firstFailedAt'
  | 'lastFailedAt'
  | 'status'
  | 'resolvedAt'
  | 'resolvedBy'
  | 'replayAttempts'
  | 'createdAt'
>;

export function toSummary(view: DeadLetterView): DeadLetterSummary {
  return {
    id: view.id,
    topic: view.topic,
    partition: view.partition,
    offset: view.offset,
    subProcessor: view.subProcessor,
    tableName: view.tableName,
    rowKey: view.rowKey,
    errorMessage: view.errorMessage.slice(0, 300),
    attempts: view.attempts,
    firstFailedAt: view.firstFailedAt,
    lastFailedAt: view.lastFailedAt,
    status: view.status,
    resolvedAt: view.resolvedAt,
    resolvedBy: view.resolvedBy,
    replayAttempts: view.replayAttempts,
    createdAt: view.createdAt,
  };
}

/** GET /api/dead-letters: a page of entries, newest first. */
export interface DeadLetterListResponse {
  items: DeadLetterSummary[];
  nextCursor: string | null;
}

/** GET /api/dead-letters/count. */
export interface DeadLetterCountResponse {
  count: number;
}

/** GET /api/dead-letters/:id: the entry in full. */
export type DeadLetterDetailResponse = DeadLetterView;

/** POST /api/dead-letters/:id/replay: what the replay did, and the entry as it now is. */
export interface DeadLetterReplayResponse {
  result: ReplayResult;
  entry: DeadLetterView | null;
}

/** POST /api/dead-letters/:id/discard. */
export interface DeadLetterDiscardResponse {
  entry: DeadLetterView;
}

/** GET /api/dead-letters/bulk-ops/preview: how many pending entries the selection takes now, and the default rate. */
export interface BulkOpPreviewResponse {
  count: number;
  defaultRatePerSecond: number;
}

/** GET /api/dead-letters/bulk-ops. */
export interface BulkOpListResponse {
  ops: BulkOpView[];
}

/** POST /api/dead-letters/bulk-ops (201) and POST …/:opId/cancel. */
export interface BulkOpResponse {
  op: BulkOpView;
}

/** GET /api/dead-letters/bulk-ops/:opId: the op and a page of its per-entry results. */
export interface BulkOpPageResponse {
  op: BulkOpView;
  results: BulkResultView[];
  nextAfter: string | null;
}
