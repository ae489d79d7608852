import { ApplicationFailure, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  DEAD_LETTER_BULK_NON_RETRYABLE_ERROR_TYPES,
  deadLetterBulkCancelSignal,
  deadLetterBulkProgressQuery,
  type DeadLetterBulkCanceller,
  type DeadLetterBulkCounts,
  type DeadLetterBulkInput,
  type DeadLetterBulkProgress,
} from '../../server/temporal/contract.ts';
import type { Activities } from '../activities/index.ts';

const { processDeadLetterBulkPage } = proxyActivities<Activities>({
  // A page is a few seconds of paced work, but one entry's replay retries its sub-processor: generous, with heartbeats.
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30, nonRetryableErrorTypes: DEAD_LETTER_BULK_NON_RETRYABLE_ERROR_TYPES },
});

const { finishDeadLetterBulkOp } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const DEFAULT_PAGES_PER_RUN = 200;
const ZERO: DeadLetterBulkCounts = { done: 0, succeeded: 0, superseded: 0, failed: 0, skipped: 0 };

/**
 * Carries out one bulk replay or discard (its `dead_letter_bulk_ops` row): claims and processes the selection a
 * page at a time, by ascending id from `cursor`, at most `ratePerSecond`. The `cancel` signal stops it after the
 * page in hand; entries done stay done. Per-entry results and counts are persisted by the activities, so the
 * console reads progress from Postgres; the `progress` query answers the same from the workflow.
 */
export async function deadLetterBulkWorkflow(input: DeadLetterBulkInput): Promise<DeadLetterBulkProgress> {
  const { opId, ratePerSecond } = input;
  const pageSize = input.pageSize ?? Math.min(100, Math.max(1, Math.ceil(ratePerSecond * 2)));
  let cursor = input.carried?.cursor ?? '0';
  let counts = input.carried?.counts ?? ZERO;
  let cancelledBy: DeadLetterBulkCanceller | null = input.carried?.cancelledBy ?? null;
  let state: DeadLetterBulkProgress['state'] = cancelledBy ? 'cancelling' : 'running';

  setHandler(deadLetterBulkCancelSignal, (by) => {
    cancelledBy ??= by;
    if (state === 'running') state = 'cancelling';
  });
  setHandler(deadLetterBulkProgressQuery, () => ({ ...counts, cursor, state }));

  let next: 'continue' | 'finish';
  try {
    next = await runPages();
    if (next === 'finish') {
      const outcome = cancelledBy ? 'cancelled' : 'finished';
      await finishDeadLetterBulkOp(cancelledBy ? { opId, outcome: 'cancelled', by: cancelledBy } : { opId, outcome: 'finished' });
      state = outcome;
    }
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    await finishDeadLetterBulkOp({ opId, outcome: 'failed', error });
    state = 'failed';
    throw ApplicationFailure.nonRetryable(`bulk operation ${opId} failed: ${error}`, 'BulkOpFailed');
  }
  if (next === 'continue') return continueAsNew<typeof deadLetterBulkWorkflow>({ ...input, carried: { cursor, counts, cancelledBy } });
  return { ...counts, cursor, state };

  async function runPages(): Promise<'continue' | 'finish'> {
    for (let page = 0; !cancelledBy; page++) {
      if (page >= (input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN) || workflowInfo().continueAsNewSuggested) return 'continue';
      const result = await processDeadLetterBulkPage({ opId, cursor, pageSize, ratePerSecond });
      cursor = result.cursor;
      counts = result.counts;
      if (result.exhausted) return 'finish';
    }
    return 'finish';
  }
}
