import { addMonthsUtc, DAY_MS } from './benefit-dates.ts';
import { issuedWithin, type IssuingRange } from './issuing.ts';
import type { PartnerIntegration } from './partner.ts';
import { requestEligibility, requestReconciliation, requestUnlink, toDecision } from './partner-api.ts';
import type { PartnerModule } from './registry.ts';

/**
 * Afterpay: its Mastercard cards in the US and Australia; three months of DashPass from linking. Afterpay
 * settles multi-matches within seconds in practice, so we take its webhook or a short poll, whichever comes
 * first, and give up after two days.
 */
const ISSUING: readonly IssuingRange[] = [{ network: 'mastercard', from: '535316', to: '535319', countries: ['US', 'AU'] }];

export const afterpayV1: PartnerIntegration = {
  partnerId: 'afterpay',
  name: 'Afterpay',
  version: '1',
  matches: (card) => issuedWithin(card, ISSUING),
  checkEligibility: async (http, request) => toDecision(await requestEligibility('afterpay', http, request)),
  benefit: (linkedAt) => ({ startsAt: linkedAt, endsAt: addMonthsUtc(linkedAt, 3) }),
  reconciliation: { via: 'both', pollEveryMs: 30_000, deadlineMs: 2 * DAY_MS },
  pollReconciliation: (http, matchReference) => requestReconciliation('afterpay', http, matchReference),
  unlink: (http, request) => requestUnlink('afterpay', http, request),
};

export const afterpay: PartnerModule = { live: afterpayV1, versions: [afterpayV1] };
