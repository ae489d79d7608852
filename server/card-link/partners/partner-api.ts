import { z } from 'zod';
import type { CardFacts, EligibilityDecision } from '../../temporal/contract.ts';
import { binSchema, countrySchema, last4Schema } from '../card-rules.ts';
import { PartnerProtocolError } from './errors.ts';
import type { EligibilityRequest, PartnerHttp, ReconciliationPoll, UnlinkAcknowledgement, UnlinkRequest } from './partner.ts';

/**
 * The partner API as the gateway (the partner sandbox locally) exposes it for every partner, under
 * `/partners/<id>`. Integrations build on these calls; the sandbox validates against the same schemas.
 */

/** What a partner is told about a card: never the PAN, the expiry or our payment-method id (fields by the card rules). */
export const eligibilityRequestBody = z.object({
  customerId: z.string().min(1),
  fingerprint: z.string().min(1),
  bin: binSchema,
  last4: last4Schema,
  country: countrySchema,
  network: z.string().min(1),
});
export type EligibilityRequestBody = z.infer<typeof eligibilityRequestBody>;

export const eligibilityAnswer = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('eligible'), reference: z.string().min(1) }),
  z.object({ decision: z.literal('not_eligible'), reason: z.string().min(1) }),
  z.object({ decision: z.literal('multi_match'), reference: z.string().min(1), candidates: z.number().int().min(2) }),
]);
export type EligibilityAnswer = z.infer<typeof eligibilityAnswer>;

export const reconciliationState = z.discriminatedUnion('state', [
  z.object({ state: z.literal('pending') }),
  z.object({ state: z.literal('matched') }),
  z.object({ state: z.literal('rejected'), reason: z.string().min(1).optional() }),
]);
export type ReconciliationState = z.infer<typeof reconciliationState>;

/** `POST /unlinks`: the partner ends the enrollment with this reference. */
export const unlinkRequestBody = z.object({
  customerId: z.string().min(1),
  reference: z.string().min(1),
});
export type UnlinkRequestBody = z.infer<typeof unlinkRequestBody>;

export const unlinkAnswer = z.object({ state: z.enum(['unlinked', 'already_unlinked']) });

/** Body the partner POSTs to `/api/partner-webhooks/<partnerId>` once a multi-match is resolved. */
export const reconciliationWebhookBody = z.object({
  partnerId: z.string().min(1),
  reference: z.string().min(1),
  matched: z.boolean(),
  reason: z.string().optional(),
});
export type ReconciliationWebhookBody = z.infer<typeof reconciliationWebhookBody>;

export function eligibilityBody(customerId: string, card: CardFacts): EligibilityRequestBody {
  const { fingerprint, bin, last4, country, network } = card;
  return { customerId, fingerprint, bin, last4, country, network };
}

export async function requestEligibility(partnerId: string, http: PartnerHttp, { customerId, card }: EligibilityRequest): Promise<EligibilityAnswer> {
  const raw = await http.post<unknown>('/eligibility', eligibilityBody(customerId, card));
  return parseAnswer(partnerId, 'eligibility', eligibilityAnswer, raw);
}

export function toDecision(answer: EligibilityAnswer): EligibilityDecision {
  switch (answer.decision) {
    case 'eligible':
      return { kind: 'eligible', partnerReference: answer.reference };
    case 'not_eligible':
      return { kind: 'not_eligible', reason: answer.reason };
    case 'multi_match':
      return { kind: 'multi_match', matchReference: answer.reference, candidates: answer.candidates };
  }
}

export async function requestReconciliation(partnerId: string, http: PartnerHttp, matchReference: string): Promise<ReconciliationPoll> {
  const raw = await http.get<unknown>(`/reconciliations/${encodeURIComponent(matchReference)}`);
  const answer = parseAnswer(partnerId, 'reconciliation', reconciliationState, raw);
  return answer.state === 'rejected' ? { state: 'rejected', reason: answer.reason ?? 'rejected by partner' } : answer;
}

export async function requestUnlink(partnerId: string, http: PartnerHttp, { customerId, partnerReference }: UnlinkRequest): Promise<UnlinkAcknowledgement> {
  const raw = await http.post<unknown>('/unlinks', { customerId, reference: partnerReference } satisfies UnlinkRequestBody);
  return parseAnswer(partnerId, 'unlink', unlinkAnswer, raw);
}

function parseAnswer<T>(partnerId: string, what: string, schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new PartnerProtocolError(partnerId, `${partnerId} ${what} answer is malformed: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
