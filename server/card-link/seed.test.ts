import { describe, expect, it } from 'vitest';
import { partnerRegistry } from './partners/registry.ts';
import { DEMO_CARDS, DEMO_CUSTOMERS, DEMO_PARTNERS, demoFingerprint } from './seed.ts';

const facts = (demo: (typeof DEMO_CARDS)[number]) => ({ ...demo, fingerprint: demoFingerprint(demo.paymentMethodId) });

describe('card-link demo data', () => {
  it('routes every card to the partner it was written for', () => {
    for (const demo of DEMO_CARDS) expect(partnerRegistry.selectPartner(facts(demo))?.partnerId ?? null, demo.paymentMethodId).toBe(demo.partnerId);
  });

  it('covers every partner and every sandbox path', () => {
    expect(new Set(DEMO_CARDS.map((demo) => demo.partnerId))).toEqual(new Set([...DEMO_PARTNERS.map((p) => p.partnerId), null]));
    expect(new Set(DEMO_CARDS.map((demo) => demo.scenario))).toEqual(
      new Set(['eligible', 'not_eligible', 'multi_match_matched', 'multi_match_rejected', 'multi_match_unanswered', 'no_partner', 'shadow_mismatch']),
    );
  });

  it('belongs to seeded customers, with unique ids and per-card fingerprints', () => {
    const customers = new Set(DEMO_CUSTOMERS.map((c) => c.customerId));
    for (const demo of DEMO_CARDS) expect(customers.has(demo.customerId), demo.customerId).toBe(true);
    expect(new Set(DEMO_CARDS.map((demo) => demo.paymentMethodId)).size).toBe(DEMO_CARDS.length);
    expect(new Set(DEMO_CARDS.map((demo) => demoFingerprint(demo.paymentMethodId))).size).toBe(DEMO_CARDS.length);
    expect(demoFingerprint('pm_x')).toBe(demoFingerprint('pm_x'));
    expect(demoFingerprint('pm_x')).toMatch(/^fp_[0-9a-f]{16}$/);
  });

  it('gives shadow mode a candidate to compare', () => {
    expect(DEMO_PARTNERS.find((p) => p.partnerId === 'chase')).toMatchObject({ liveVersion: '1', candidateVersion: '2' });
  });
});
