import type { CardFacts, EligibilityDecision } from '../../temporal/contract.ts';

/** Talks to a partner's HTTP API (the partner sandbox in development and tests). */
export interface PartnerHttp {
  post<T>(path: string, body: unknown): Promise<T>;
  get<T>(path: string): Promise<T>;
}

export interface EligibilityRequest {
  customerId: string;
  card: CardFacts;
}

export interface BenefitTerms {
  /** When the benefit starts, from the moment of linking. */
  startsAt: Date;
  /** When it lapses, or null for as long as the card stays linked. */
  endsAt: Date | null;
}

/** Which enrollment to end at the partner: its reference from the eligibility answer (or multi-match). */
export interface UnlinkRequest {
  customerId: string;
  partnerReference: string;
}

/** The partner ended the enrollment now, or had already ended it (a retried or repeated unlink). */
export type UnlinkAcknowledgement = { state: 'unlinked' } | { state: 'already_unlinked' };

export type ReconciliationPoll = { state: 'pending' } | { state: 'matched' } | { state: 'rejected'; reason: string };

/**
 * Everything a partner differs in. The card-link workflow gets partners from the registry and never
 * branches on a partner's name: adding a partner is one module implementing this, plus one registry line.
 */
export interface PartnerIntegration {
  readonly partnerId: string;
  readonly name: string;
  /** Integration version; a candidate version runs in shadow mode beside the live one. */
  readonly version: string;
  /** Does this partner issue the card? (BIN ranges, networks, countries.) */
  matches(card: CardFacts): boolean;
  /** Calls the partner's eligibility API. Throws a retryable error on 5xx/timeouts. */
  checkEligibility(http: PartnerHttp, request: EligibilityRequest): Promise<EligibilityDecision>;
  /** The benefit the partner grants on a successful link. */
  benefit(linkedAt: Date): BenefitTerms;
  /** How a multi-match is resolved asynchronously, and how long to wait before compensating. */
  readonly reconciliation: {
    via: 'webhook' | 'polling' | 'both';
    /** Poll interval, when polling. */
    pollEveryMs?: number;
    /** Compensation deadline: after this, the provisional benefit ends and the link is marked failed. */
    deadlineMs: number;
  };
  /** Tells the partner the card was unlinked, so it stops the enrollment. Idempotent at the partner; retryable on 5xx/timeouts. */
  unlink(http: PartnerHttp, request: UnlinkRequest): Promise<UnlinkAcknowledgement>;
  /** Asks the partner for the state of a multi-match (partners that reconcile by polling). */
  pollReconciliation?(http: PartnerHttp, matchReference: string): Promise<ReconciliationPoll>;
}
