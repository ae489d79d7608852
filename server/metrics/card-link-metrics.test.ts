import { describe, expect, it } from 'vitest';
import { cardLinkOutcome, timedCardLinkCall } from './card-link-metrics.ts';
import { metrics } from './registry.ts';

async function decisions(outcome: string, partner: string): Promise<number> {
  const { values } = await metrics().cardLinkDecisions.get();
  return values.find((v) => v.labels.outcome === outcome && v.labels.partner === partner)?.value ?? 0;
}

async function syncCount(outcome: string): Promise<number> {
  const { values } = await metrics().cardLinkSyncSeconds.get();
  return values.find((v) => v.metricName === 'dashops_card_link_sync_seconds_count' && v.labels.outcome === outcome)?.value ?? 0;
}

describe('cardLinkOutcome', () => {
  it('labels a decision by its status and partner, and a failure by its HTTP class', () => {
    expect(cardLinkOutcome(200, { status: 'linked', partnerId: 'chase' })).toEqual({ outcome: 'linked', partner: 'chase' });
    expect(cardLinkOutcome(200, { status: 'not_eligible', partnerId: null })).toEqual({ outcome: 'not_eligible', partner: 'none' });
    expect(cardLinkOutcome(502, { error: 'x' })).toEqual({ outcome: 'partner_error', partner: 'unknown' });
    expect(cardLinkOutcome(503, null)).toEqual({ outcome: 'unavailable', partner: 'unknown' });
    expect(cardLinkOutcome(504, null)).toEqual({ outcome: 'timeout', partner: 'unknown' });
    expect(cardLinkOutcome(500, null)).toEqual({ outcome: 'error', partner: 'unknown' });
    expect(cardLinkOutcome(422, { error: 'x' })).toEqual({ outcome: 'refused', partner: 'unknown' });
  });
});

describe('timedCardLinkCall', () => {
  it('counts each answer and its duration, and a throwing handler as an error it rethrows', async () => {
    const request = new Request('http://console.test/api/card-links', { method: 'POST' });
    const [linkedBefore, timeoutBefore, errorBefore, linkedTimed] = await Promise.all([decisions('linked', 'rbc'), decisions('timeout', 'unknown'), decisions('error', 'unknown'), syncCount('linked')]);

    const linked = timedCardLinkCall(async () => Response.json({ status: 'linked', partnerId: 'rbc', linkId: 'l1' }));
    const response = await linked(request);
    expect(await response.json()).toMatchObject({ status: 'linked' });
    await timedCardLinkCall(async () => Response.json({ error: 'late' }, { status: 504 }))(request);
    const failing = timedCardLinkCall(async () => {
      throw new RangeError('boom');
    });
    await expect(failing(request)).rejects.toThrow(RangeError);

    expect(await decisions('linked', 'rbc')).toBe(linkedBefore + 1);
    expect(await decisions('timeout', 'unknown')).toBe(timeoutBefore + 1);
    expect(await decisions('error', 'unknown')).toBe(errorBefore + 1);
    expect(await syncCount('linked')).toBe(linkedTimed + 1);
    expect(await metrics().consoleRegistry.metrics()).toContain('dashops_card_link_decisions_total{outcome="linked",partner="rbc"}');
    // The worker's registry does not carry the console's card-link series.
    expect(await metrics().registry.metrics()).not.toContain('dashops_card_link_decisions_total');
  });
});
