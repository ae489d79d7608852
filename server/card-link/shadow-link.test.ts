import { describe, expect, it } from 'vitest';
import { linkMismatches, type ShadowLink } from './shadow-link.ts';

const live: ShadowLink = {
  partnerId: 'chase',
  decision: 'eligible',
  linkStatus: 'active',
  benefitStartsAt: '2026-12-02T10:00:00.000Z',
  benefitEndsAt: '2027-12-02T10:00:00.000Z',
};

describe('linkMismatches', () => {
  it('finds none when the candidate would write the same link (instants compared, not strings)', () => {
    expect(linkMismatches(live, { ...live, benefitStartsAt: '2026-12-02T10:00:00Z' })).toEqual([]);
  });

  it('names a later start with the same term as start and end date, not benefit', () => {
    expect(linkMismatches(live, { ...live, benefitStartsAt: '2026-12-03T10:00:00.000Z', benefitEndsAt: '2027-12-03T10:00:00.000Z' })).toEqual(['start_date', 'end_date']);
  });

  it('names a shorter benefit from the same start as end date and benefit term', () => {
    expect(linkMismatches(live, { ...live, benefitEndsAt: '2027-03-02T10:00:00.000Z' })).toEqual(['end_date', 'benefit']);
    expect(linkMismatches(live, { ...live, benefitEndsAt: null })).toEqual(['end_date', 'benefit']);
  });

  it('names a decline where live linked as eligibility only (no link to compare dates with)', () => {
    const declined: ShadowLink = { partnerId: 'chase', decision: 'not_eligible', reason: 'business_card_not_in_offer', linkStatus: null, benefitStartsAt: null, benefitEndsAt: null };
    expect(linkMismatches(live, declined)).toEqual(['eligibility']);
  });

  it('names a different decline reason, another partner, and a pending link where live is active', () => {
    const liveDecline: ShadowLink = { partnerId: 'chase', decision: 'not_eligible', reason: 'a', linkStatus: null, benefitStartsAt: null, benefitEndsAt: null };
    expect(linkMismatches(liveDecline, { ...liveDecline, reason: 'b' })).toEqual(['eligibility']);
    expect(linkMismatches(live, { ...live, partnerId: null })).toEqual(['partner']);
    expect(linkMismatches(live, { ...live, decision: 'multi_match', linkStatus: 'pending_reconciliation' })).toEqual(['eligibility', 'link_status']);
  });

  it('reports a candidate that threw as an error and nothing else', () => {
    expect(linkMismatches(live, { partnerId: 'chase', decision: 'error', reason: 'TypeError', linkStatus: null, benefitStartsAt: null, benefitEndsAt: null })).toEqual(['error']);
  });
});
