import type { ReplayOutcome as ServerReplayOutcome } from '@/server/stream/dead-letter-replay.ts';
import type { BulkOpView, BulkResultView } from '@/server/stream/bulk-ops.ts';
import type { DeadLetterState } from '../_lib/query.ts';

/** The JSON the dead-letter API answers with (dates as ISO strings). */
export interface DeadLetterSummary {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  subProcessor: string;
  tableName: string | null;
  rowKey: string | null;
  errorMessage: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  status: DeadLetterState;
  resolvedAt: string | null;
  resolvedBy: string | null;
  replayAttempts: number;
  createdAt: string;
}

export interface DeadLetterDetail extends DeadLetterSummary {
  messageKey: string | null;
  payload: string;
  headers: Record<string, string>;
  updated: string | null;
  errorStack: string | null;
  resolution: string | null;
  stage: 'decode' | 'processor' | 'workflow';
  workflowId: string | null;
  runId: string | null;
  dlqProducedAt: string | null;
  /** Set when the raw bytes were kept because they are not storable as text (binary, or NUL characters). */
  messageKeyBase64: string | null;
  payloadBase64: string | null;
  payloadByteLength: number | null;
}

export interface DeadLetterPage {
  items: DeadLetterSummary[];
  nextCursor: string | null;
}

/** One sub-processor's part of a replay: the server's own wire type. */
export type ReplayOutcome = ServerReplayOutcome;

/** One entry's bulk or single replay result. `pending`: the replay failed and the entry stays open. */
export interface ReplayResult {
  id: string;
  status: 'replayed' | 'superseded' | 'pending' | 'skipped' | 'failed';
  outcomes: ReplayOutcome[];
  resolution?: string;
  error?: string;
}

/** A bulk operation's selection as the API takes it: explicit ids, or the filter fields (no state: pending only). */
export type BulkSelectionBody = { ids: string[] } | { filter: Record<string, string> };

type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** A bulk operation as the API answers it (dates as ISO strings). */
export type BulkOpJson = Json<BulkOpView>;

export interface BulkOpPage {
  op: BulkOpJson;
  results: Json<BulkResultView>[];
  nextAfter: string | null;
}
