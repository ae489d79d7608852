import 'server-only';
import type { Actor } from '@/server/auth/actor.ts';
import type { SignedInUser } from '@/server/auth/session.ts';
import { db } from '@/server/db/client.ts';
import { logger } from '@/server/logger.ts';
import { BulkOpConflictError, BulkOpNotFoundError } from '@/server/stream/bulk-ops.ts';
import { DeadLetterConflictError, DeadLetterNotFoundError, DiscardReasonRequiredError, InvalidDeadLetterQueryError } from '@/server/stream/dead-letter-errors.ts';
import type { DeadLetterDeps } from '@/server/stream/dead-letter-replay.ts';
import { subProcessorsByTable } from '@/server/stream/registry.ts';
import { temporal } from '@/server/temporal/client.ts';

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

export const bulkOpErrors = [
  [BulkOpNotFoundError, 404],
  [BulkOpConflictError, 409],
] as const;

export const actorOf = (user: SignedInUser): Actor => ({ id: user.id, role: user.role });
