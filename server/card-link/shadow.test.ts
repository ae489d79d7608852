import { describe, expect, it } from 'vitest';
import { summarizeShadow, type PartnerConfig, type ShadowCountGroup } from './shadow.ts';

const partners: PartnerConfig[] = [
  { partnerId: 'chase', name: 'Chase', liveVersion: '1', candidateVersion: '2' },
  { partnerId: 'rbc', name: 'RBC', liveVersion: '1', candidateVersion: null },
  { partnerId: 'afterpay', name: 'Afterpay', liveVersion: '2', candidateVersion: '3' },
];
const at = (iso: string) => new Date(iso);
const group = (partnerId: string, liveVersion: string, candidateVersion: string, matched: boolean, count: number, lastAt: string): ShadowCountGroup => ({
  partnerId,
  liveVersion,
  candidateVersion,
  matched,
  count,
  lastAt: at(lastAt),
});

describe('summarizeShadow', () => {
  const summary = summarizeShadow(partners, [
    group('chase', '1', '2', true, 6, '2026-11-20T10:00:00Z'),
    group('chase', '1', '2', false, 2, '2026-11-21T10:00:00Z'),
    group('chase', '0', '1', false, 1, '2026-01-01T00:00:00Z'),
    group('retired', '1', '2', true, 3, '2026-02-01T00:00:00Z'),
  ], [
    { partnerId: 'chase', liveVersion: '1', candidateVersion: '2', kind: 'end_date', count: 2 },
    { partnerId: 'chase', liveVersion: '1', candidateVersion: '2', kind: 'benefit', count: 1 },
    { partnerId: 'chase', liveVersion: '1', candidateVersion: '2', kind: 'not_a_kind', count: 9 },
  ]);
  const byId = new Map(summary.map((status) => [status.partnerId, status]));

  it('gives per version pair comparisons, mismatches, rate, mismatch kinds (unknown ones ignored) and the latest comparison, the current pair first', () => {
    expect(byId.get('chase')?.versions).toEqual([
      { partnerId: 'chase', liveVersion: '1', candidateVersion: '2', comparisons: 8, mismatches: 2, rate: 0.25, lastComparedAt: '2026-11-21T10:00:00.000Z', current: true, kinds: { end_date: 2, benefit: 1 } },
      { partnerId: 'chase', liveVersion: '0', candidateVersion: '1', comparisons: 1, mismatches: 1, rate: 1, lastComparedAt: '2026-01-01T00:00:00.000Z', current: false, kinds: {} },
    ]);
  });

  it('lists a partner in shadow mode with no comparisons yet as zero, and one without a candidate with no pairs', () => {
    expect(byId.get('afterpay')?.versions).toEqual([
      { partnerId: 'afterpay', liveVersion: '2', candidateVersion: '3', comparisons: 0, mismatches: 0, rate: 0, lastComparedAt: null, current: true, kinds: {} },
    ]);
    expect(byId.get('rbc')).toMatchObject({ candidateVersion: null, versions: [] });
  });

  it('keeps comparisons of a partner no longer configured, sorted by name', () => {
    expect(byId.get('retired')).toMatchObject({ name: 'retired', liveVersion: null, versions: [{ comparisons: 3, current: false }] });
    expect(summary.map((status) => status.name)).toEqual(['Afterpay', 'Chase', 'RBC', 'retired']);
  });
});
