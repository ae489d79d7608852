import { streamPool } from '../../server/db/pg-pool.ts';
import { db } from '../../server/db/client.ts';
import { env } from '../../server/env.ts';
import { createCardLinkActivities, partnerHttpFor, type CardLinkDeps } from './card-link.ts';
import { createExpirySweepActivities } from './expiry-sweep.ts';
import { createDeadLetterBulkActivities, type DeadLetterBulkDeps } from './dead-letter-bulk.ts';
import { kafkaProducer } from '../../server/kafka/client.ts';
import { logger } from '../../server/logger.ts';
import { subProcessorsByTable } from '../../server/stream/registry.ts';
import { temporal } from '../../server/temporal/client.ts';
import { createInventoryStreamActivities, type InventoryStreamDeps } from './inventory-stream.ts';
import { createRetentionActivities } from './retention.ts';
import { createStreamDeadLetterActivities, type StreamDeadLetterDeps } from './stream-dead-letters.ts';

export { createCardLinkActivities, partnerHttpFor, type CardLinkActivities, type CardLinkDeps } from './card-link.ts';
export { createInventoryStreamActivities, InvalidStreamMessageError, type InventoryStreamDeps, type InventoryStreamActivities } from './inventory-stream.ts';
export { createStreamDeadLetterActivities } from './stream-dead-letters.ts';

/** `db` defaults to the process's Prisma singleton (created lazily: nothing connects until a query). */
export type ActivityDeps = Partial<InventoryStreamDeps> &
  Partial<Pick<StreamDeadLetterDeps, 'producer'>> &
  Partial<DeadLetterBulkDeps> &
  Partial<Omit<CardLinkDeps, 'db' | 'now'>>;

/** Every activity the worker registers, built from the process's shared clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createInventoryStreamActivities({ db: deps.db ?? db(), sql: deps.sql ?? deps.db ?? streamPool(), now: deps.now, currentRun: deps.currentRun }),
    ...createStreamDeadLetterActivities({ db: deps.db ?? db(), producer: deps.producer ?? kafkaProducer, currentRun: deps.currentRun }),
    ...createExpirySweepActivities({ db: deps.db ?? db() }),
    ...createDeadLetterBulkActivities({
      deadLetters:
        deps.deadLetters ?? (() => ({ db: deps.db ?? db(), temporal: temporal(), registry: subProcessorsByTable, log: logger.child({ component: 'dead-letter-bulk' }) })),
    }),
    ...createRetentionActivities({ db: deps.db ?? db() }),
    ...createCardLinkActivities({
      db: deps.db ?? db(),
      partnerHttp: deps.partnerHttp ?? partnerHttpFor(() => env().PARTNER_SANDBOX_URL),
      registry: deps.registry,
      now: deps.now,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
