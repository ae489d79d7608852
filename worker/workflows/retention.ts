import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/retention.ts';
import type { RetentionInput, RetentionResult } from '../../server/temporal/contract.ts';

const retention = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

const DEFAULT_BATCH_SIZE = 5000;
/** Continue-as-new well before history grows large: each batch costs a handful of events. */
const MAX_HISTORY_EVENTS = 2000;

/**
 * Run by the `stream-retention` schedule: for each table, moves its horizon to the cutoff first, then deletes what is
 * older in batches until a batch comes back short. A long backlog continues-as-new with the same plan, so the cutoffs
 * stay those of the run the schedule started; a repeated or overlapping run only finds less to delete.
 */
export async function retentionWorkflow(input: RetentionInput = {}): Promise<RetentionResult> {
  const limit = input.batchSize ?? DEFAULT_BATCH_SIZE;
  const plan = input.carried?.plan ?? (await retention.planRetention());
  const deleted: Record<string, number> = { ...input.carried?.deleted };
  for (let i = input.carried?.step ?? 0; i < plan.length; i++) {
    const step = plan[i]!;
    if (!input.carried || i > input.carried.step || !input.carried.horizonSet) await retention.advanceRetentionHorizon(step);
    for (;;) {
      const count = await retention.deleteExpiredRows({ table: step.table, before: step.before, limit });
      deleted[step.table] = (deleted[step.table] ?? 0) + count;
      if (count < limit) break;
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength >= (input.maxHistoryEvents ?? MAX_HISTORY_EVENTS)) {
        return continueAsNew<typeof retentionWorkflow>({ ...input, carried: { plan, step: i, horizonSet: true, deleted } });
      }
    }
  }
  return { plan, deleted };
}
