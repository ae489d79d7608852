import { addMonthsUtc, DAY_MS, firstOfNextMonthUtc, HOUR_MS } from './benefit-dates.ts';
import { issuedWithin, type IssuingRange } from './issuing.ts';
import type { PartnerIntegration } from './partner.ts';
import { requestEligibility, requestReconciliation, requestUnlink, toDecision } from './partner-api.ts';
import type { PartnerModule } from './registry.ts';

/**
 * RBC: Canadian Visa cards. The benefit starts on the first day of the next calendar month and runs six
 * months. RBC sends no webhooks: its batch reconciliation is polled every six hours, for up to three days.
 */
const ISSUING: readonly IssuingRange[] = [{ network: 'visa', from: '450060', to: '450069', countries: ['CA'] }];

export const rbcV1: PartnerIntegration = {
  partnerId: 'rbc',
  name: 'RBC',
  version: '1',
  matches: (card) => issuedWithin(card, ISSUING),
  checkEligibility: async (http, request) => toDecision(await requestEligibility('rbc', http, request)),
  benefit: (linkedAt) => {
    const startsAt = firstOfNextMonthUtc(linkedAt);
    return { startsAt, endsAt: addMonthsUtc(startsAt, 6) };
  },
  reconciliation: { via: 'polling', pollEveryMs: 6 * HOUR_MS, deadlineMs: 3 * DAY_MS },
  pollReconciliation: (http, matchReference) => requestReconciliation('rbc', http, matchReference),
  unlink: (http, request) => requestUnlink('rbc', http, request),
};

export const rbc: PartnerModule = { live: rbcV1, versions: [rbcV1] };
