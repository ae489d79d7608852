import { condition, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import { decisionUpdate, type CardLinkInput, type LinkOutcome } from '../../server/temporal/contract.ts';

/**
 * The latency floor for `npm run bench:cardlink`: the card-link workflow's Update-With-Start shape (same input,
 * same update, answered in the first workflow task, then complete) with no activities at all.
 */
export async function emptyDecisionWorkflow(input: CardLinkInput): Promise<LinkOutcome> {
  const outcome: LinkOutcome = { status: 'not_eligible', partnerId: null, reason: `bench floor for ${input.customerId}` };
  let answered = false;
  setHandler(decisionUpdate, () => {
    answered = true;
    return outcome;
  });
  await condition(() => answered, '1 minute');
  return outcome;
}

/** Activities `npm run bench:temporal` registers on its own worker; nothing else runs them. */
export interface BenchActivities {
  benchNoop(): Promise<void>;
}

const bench = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '5 seconds' });

/**
 * `npm run bench:temporal`: `count` no-op local activities one after another, then complete. With count 0 it is
 * the empty workflow (start → one workflow task → complete); each step up shows what one local-activity hop costs.
 */
export async function localActivityChainWorkflow(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await bench.benchNoop();
  return count;
}
