import { defineQuery, defineUpdate } from '@temporalio/workflow';

/**
 * What the console and the worker agree on for unlinking a card. Workflow code imports it, so it stays free of Node built-ins and I/O.
 */

export const CARD_UNLINK_WORKFLOW_TYPE = 'cardUnlinkWorkflow';

/** One unlink workflow per link, so concurrent unlinks of the same link join one run instead of racing. */
export function cardUnlinkWorkflowId(linkId: string): string {
  return `card-unlink:${linkId}`;
}

export interface CardUnlinkInput {
  linkId: string;
  reason: string;
  /** Who asked: `card-link-api`, or the support agent's user id. */
  requestedBy: string;
}

export interface UnlinkOutcome {
  /** `already_unlinked`: the link had ended before (an earlier unlink, a lapse or a compensation), or this run already answered. */
  status: 'unlinked' | 'already_unlinked';
  linkId: string;
  customerId: string;
  partnerId: string;
  endedReason: string | null;
  endedSubscriptions: number;
}

export interface UnlinkProgress {
  outcome: UnlinkOutcome | null;
  /** The partner's acknowledgement, once it answered; null while it is being told (retried until it answers). */
  partnerAcknowledged: 'unlinked' | 'already_unlinked' | 'not_needed' | null;
}

/** Answers once the link and subscription are ended here; telling the partner goes on durably after. */
export const unlinkUpdate = defineUpdate<UnlinkOutcome>('unlink');
export const unlinkProgressQuery = defineQuery<UnlinkProgress>('unlinkProgress');
