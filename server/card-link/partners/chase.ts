import { addMonthsUtc, DAY_MS } from './benefit-dates.ts';
import { binWithin, issuedWithin, type IssuingRange } from './issuing.ts';
import type { PartnerIntegration } from './partner.ts';
import { requestEligibility, requestUnlink, toDecision } from './partner-api.ts';
import type { PartnerModule } from './registry.ts';

/**
 * Chase: US Visa and Mastercard credit cards; twelve months of DashPass from the day of linking. Multi-matches
 * are settled by Chase's webhook, usually within a day; after seven days without one we compensate.
 */
const ISSUING: readonly IssuingRange[] = [
  { network: 'visa', from: '414720', to: '414729', countries: ['US'] },
  { network: 'mastercard', from: '552433', to: '552433', countries: ['US'] },
];

const shared = {
  partnerId: 'chase',
  name: 'Chase',
  matches: (card) => issuedWithin(card, ISSUING),
  benefit: (linkedAt) => ({ startsAt: linkedAt, endsAt: addMonthsUtc(linkedAt, 12) }),
  reconciliation: { via: 'webhook', deadlineMs: 7 * DAY_MS },
  unlink: (http, request) => requestUnlink('chase', http, request),
} satisfies Omit<PartnerIntegration, 'version' | 'checkEligibility'>;

export const chaseV1: PartnerIntegration = {
  ...shared,
  version: '1',
  checkEligibility: async (http, request) => toDecision(await requestEligibility(shared.partnerId, http, request)),
};

/**
 * Version 2 follows Chase's 2026 program terms: the 414728–414729 business cards left the consumer DashPass
 * offer, so they are declined without asking Chase. Everything else is as in version 1. It runs in shadow mode
 * first; those BINs are where it disagrees with version 1.
 */
const BUSINESS_BINS = { from: '414728', to: '414729' };

export const chaseV2: PartnerIntegration = {
  ...shared,
  version: '2',
  checkEligibility: async (http, request) => {
    if (binWithin(request.card.bin, BUSINESS_BINS.from, BUSINESS_BINS.to)) {
      return { kind: 'not_eligible', reason: 'business_card_not_in_offer' };
    }
    return toDecision(await requestEligibility(shared.partnerId, http, request));
  },
};

export const chase: PartnerModule = { live: chaseV1, versions: [chaseV1, chaseV2] };
