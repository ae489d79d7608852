import { condition, setHandler } from '@temporalio/workflow';
import { decisionUpdate, type CardLinkInput, type LinkOutcome } from '../../server/card-link/contract.ts';

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
