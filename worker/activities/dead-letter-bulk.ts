import { Context } from '@temporalio/activity';
import { closeBulkOp, type BulkOpOutcome } from '../../server/stream/bulk-ops.ts';
import { runBulkPage, type BulkPageInput, type BulkPageResult } from '../../server/stream/bulk-run.ts';
import type { DeadLetterDeps } from '../../server/stream/dead-letter-replay.ts';

export interface DeadLetterBulkDeps {
  /** Built on first use: a replay needs the Temporal client and the sub-processor registry (the real one, never a fault drill). */
  deadLetters: () => DeadLetterDeps;
}

/** The activities of deadLetterBulkWorkflow (worker/workflows/dead-letter-bulk.ts). */
export function createDeadLetterBulkActivities({ deadLetters }: DeadLetterBulkDeps) {
  return {
    /** Claims and processes the next page of a bulk operation, heartbeating after each entry. */
    async processDeadLetterBulkPage(input: BulkPageInput): Promise<BulkPageResult> {
      return runBulkPage({ deadLetters: deadLetters(), onEntry: (done) => Context.current().heartbeat(done) }, input);
    },
    /** Ends the op (finished, cancelled or failed), releases its claims and audits it; idempotent. */
    async finishDeadLetterBulkOp(input: { opId: string } & BulkOpOutcome): Promise<void> {
      const { opId, ...end } = input;
      await closeBulkOp(deadLetters().db, opId, end);
    },
  };
}
