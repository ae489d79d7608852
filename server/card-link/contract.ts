import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/**
 * What the console (server/) and the worker agree on for the card-link platform. Workflow code imports it,
 * so it stays free of Node built-ins and I/O.
 */
export const CARD_LINK_TASK_QUEUE = 'dashops-card-link';

/** Card facts the platform may hold: never the full PAN. */
export interface CardFacts {
  paymentMethodId: string;
  fingerprint: string;
  bin: string;
  last4: string;
  country: string;
  network: string;
  expMonth: number;
  expYear: number;
}

export interface CardLinkInput {
  customerId: string;
  card: CardFacts;
  /** Who asked (the customer app, or a support agent). */
  requestedBy: string;
}

export type EligibilityDecision =
  | { kind: 'eligible'; partnerReference: string }
  | { kind: 'not_eligible'; reason: string }
  | { kind: 'multi_match'; matchReference: string; candidates: number };

export type LinkOutcome =
  | { status: 'linked'; linkId: string; subscriptionId: string; partnerId: string; benefitEndsAt: string | null }
  | { status: 'not_eligible'; partnerId: string | null; reason: string }
  | { status: 'pending_reconciliation'; linkId: string; partnerId: string; matchReference: string }
  | { status: 'reconciliation_failed'; linkId: string; partnerId: string; reason: string };

/** Step names of the card-link workflow, in order. */
export const CARD_LINK_STEPS = [
  'validate_card',
  'select_partner',
  'check_eligibility',
  'create_link',
  'reconcile',
  'complete',
] as const;
export type CardLinkStep = (typeof CARD_LINK_STEPS)[number];

export interface CompletedStep {
  step: CardLinkStep;
  at: string;
  outcome: string;
  /** What the partner answered, when the step called one. */
  partnerResponse?: unknown;
}

export interface CardLinkProgress {
  workflowId: string;
  customerId: string;
  partnerId: string | null;
  /** Masked: last4 only. */
  card: { network: string; last4: string };
  currentStep: CardLinkStep | 'done';
  completed: CompletedStep[];
  outcome: LinkOutcome | null;
}

/** Answers as soon as the decision is known (before any days-long reconciliation): the synchronous API's wait. */
export const decisionUpdate = defineUpdate<LinkOutcome>('decision');
export const progressQuery = defineQuery<CardLinkProgress>('progress');

/** Reconciliation answer from a partner's webhook (or an agent resolving a multi-match by hand). */
export interface ReconciliationAnswer {
  matched: boolean;
  reason?: string;
  resolvedBy: string;
}
export const reconciliationAnswerSignal = defineSignal<[ReconciliationAnswer]>('reconciliationAnswer');

/**
 * Idempotency without locks: one workflow per (customer, card, evaluation generation). Generation 0 keeps the
 * original id; a re-evaluation's is suffixed `.r<n>` (a fingerprint has no dot, a customer id has no bound on colons).
 */
export function cardLinkWorkflowId(customerId: string, fingerprint: string, generation = 0): string {
  return `card-link:${customerId}:${fingerprint}${generation > 0 ? `.r${generation}` : ''}`;
}

/** The inverse of cardLinkWorkflowId, or null for any other id. */
export function parseCardLinkWorkflowId(workflowId: string): { customerId: string; fingerprint: string; generation: number } | null {
  const match = /^card-link:([A-Za-z0-9][A-Za-z0-9_.:-]{0,63}):([A-Za-z0-9_-]{8,128})(?:\.r([1-9]\d{0,8}))?$/.exec(workflowId);
  if (!match?.[1] || !match[2]) return null;
  return { customerId: match[1], fingerprint: match[2], generation: match[3] ? Number(match[3]) : 0 };
}

export function reconciliationWorkflowId(linkWorkflowId: string): string {
  return `${linkWorkflowId}:reconciliation`;
}
