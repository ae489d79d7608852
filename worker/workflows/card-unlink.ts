import { allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import {
  CARD_LINK_NON_RETRYABLE_ERROR_TYPES,
  CARD_UNLINK_NON_RETRYABLE_ERROR_TYPES,
  unlinkProgressQuery,
  unlinkUpdate,
  searchAttributes,
  type CardUnlinkInput,
  type UnlinkOutcome,
  type UnlinkProgress,
} from '../../server/temporal/contract.ts';
import type { CardUnlinkActivities } from '../activities/card-unlink.ts';

const ending = proxyActivities<CardUnlinkActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: CARD_UNLINK_NON_RETRYABLE_ERROR_TYPES },
});

/** The partner may be down for a while: keep telling it, with long backoff, for up to a week. */
const partner = proxyActivities<CardUnlinkActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: CARD_LINK_NON_RETRYABLE_ERROR_TYPES },
});

/**
 * Unlinks a card: ends the link and its subscription here (the compensation of the link), answers the
 * `unlinkUpdate`, then tells the partner, retrying until it acknowledges. One run per link
 * (`cardUnlinkWorkflowId`): a second unlink while it runs joins it and is answered `already_unlinked`; one
 * after it finished starts a run that finds the link ended and answers the same, without calling the partner.
 */
export async function cardUnlinkWorkflow(input: CardUnlinkInput): Promise<UnlinkProgress> {
  const progress: UnlinkProgress = { outcome: null, partnerAcknowledged: null };
  let answered = false;
  setHandler(unlinkProgressQuery, () => progress);
  setHandler(unlinkUpdate, async (): Promise<UnlinkOutcome> => {
    await condition(() => progress.outcome !== null);
    const outcome = progress.outcome!;
    // Only the first caller of the run that ended the link is told `unlinked`.
    const first = !answered;
    answered = true;
    return first ? outcome : { ...outcome, status: 'already_unlinked' };
  });

  const ended = await ending.endLinkForUnlink({ linkId: input.linkId, reason: input.reason, at: new Date().toISOString() });
  progress.outcome = {
    status: ended.ended ? 'unlinked' : 'already_unlinked',
    linkId: ended.linkId,
    customerId: ended.customerId,
    partnerId: ended.partnerId,
    endedReason: ended.endedReason,
    endedSubscriptions: ended.endedSubscriptions,
  };
  upsertSearchAttributes([
    { key: searchAttributes.customerId, value: ended.customerId },
    { key: searchAttributes.partnerId, value: ended.partnerId },
  ]);

  if (ended.ended && ended.partnerReference !== null) {
    const ack = await partner.notifyPartnerUnlink({ partnerId: ended.partnerId, customerId: ended.customerId, partnerReference: ended.partnerReference });
    progress.partnerAcknowledged = ack.state;
  } else {
    progress.partnerAcknowledged = 'not_needed';
  }
  await condition(allHandlersFinished);
  return progress;
}
