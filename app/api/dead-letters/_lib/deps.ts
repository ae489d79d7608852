import 'server-only';
import type { Actor } from '@/server/auth/actor.ts';
import type { SignedInUser } from '@/server/auth/session.ts';
import { db } from '@/server/db/client.ts';
import { logger } from '@/server/logger.ts';
import { DeadLetterConflictError, DeadLetterNotFoundError, DiscardReasonRequiredError, InvalidDeadLetterQueryError } from '@/server/stream/dead-letter-errors.ts';
import type { DeadLetterFilter, DeadLetterView } from '@/server/stream/dead-letter-query.ts';
import type { DeadLetterDeps } from '@/server/stream/dead-letter-replay.ts';
import { subProcessorsByTable } from '@/server/stream/registry.ts';
import { temporal } from '@/server/temporal/client.ts';
import type { DeadLetterQuery } from '@/app/dead-letters/_lib/query.ts';

/** The plain registry: a replay runs the real sub-processor, never a fault drill. */
export function deadLetterDeps(): DeadLetterDeps {
  return { db: db(), temporal: temporal(), registry: subProcessorsByTable, log: logger.child({ component: 'dead-letters' }) };
}

export const deadLetterErrors = [
  [DeadLetterNotFoundError, 404],
  [DeadLetterConflictError, 409],
  [DiscardReasonRequiredError, 422],
  [InvalidDeadLetterQueryError, 422],
] as const;

export const actorOf = (user: SignedInUser): Actor => ({ id: user.id, role: user.role });

export function toFilter(query: Omit<DeadLetterQuery, 'state'> & { state?: DeadLetterQuery['state'] }): DeadLetterFilter {
  const { state, ...rest } = query;
  return { ...rest, ...(state && state !== 'all' ? { status: state } : {}) };
}

/** A table row: what the list shows, without the payload and stack (the detail view loads those). */
export function toSummary(view: DeadLetterView) {
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
