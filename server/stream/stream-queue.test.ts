import { describe, expect, it } from 'vitest';
import { COMMIT_MARGIN_MS, queueScanFrom } from './stream-queue.ts';

const now = new Date('2026-12-02T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const HOUR_MS = 60 * 60 * 1000;
const horizon = ago(7 * 24 * HOUR_MS);

describe('queueScanFrom', () => {
  it('without a previous scan, scans back to the retention horizon (from the first outcome kept when retention has deleted nothing)', () => {
    expect(queueScanFrom(null, now, horizon)).toEqual(horizon);
    expect(queueScanFrom(null, now, null)).toEqual(new Date(0));
  });

  it('after a previous scan, starts a commit margin before it', () => {
    expect(queueScanFrom({ scannedAt: ago(10_000) }, now, horizon)).toEqual(ago(10_000 + COMMIT_MARGIN_MS));
  });

  it('does not reach back to a message still queued, however long ago it was signalled: the carried set holds it', () => {
    // Stuck for three hours, then for two days: each scan still covers only the signals since the previous one.
    expect(queueScanFrom({ scannedAt: ago(10_000) }, now, horizon)).toEqual(ago(10_000 + COMMIT_MARGIN_MS));
    expect(queueScanFrom({ scannedAt: ago(10_000) }, now, null)).toEqual(ago(10_000 + COMMIT_MARGIN_MS));
    expect(queueScanFrom({ scannedAt: ago(10_000) }, now, horizon).getTime()).toBeGreaterThan(ago(3 * HOUR_MS).getTime());
  });

  it('never starts before the retention horizon: older outcomes are deleted or being deleted', () => {
    expect(queueScanFrom({ scannedAt: ago(8 * 24 * HOUR_MS) }, now, horizon)).toEqual(horizon);
  });

  it('after a long gap in sampling, scans everything since the previous scan', () => {
    expect(queueScanFrom({ scannedAt: ago(5 * HOUR_MS) }, now, horizon)).toEqual(ago(5 * HOUR_MS + COMMIT_MARGIN_MS));
  });

  it('takes a previous scan up to a commit margin ahead (a replica with a slightly fast clock) as taken now', () => {
    expect(queueScanFrom({ scannedAt: new Date(now.getTime() + 5_000) }, now, horizon)).toEqual(ago(COMMIT_MARGIN_MS));
    expect(queueScanFrom({ scannedAt: new Date(now.getTime() + COMMIT_MARGIN_MS) }, now, horizon)).toEqual(ago(COMMIT_MARGIN_MS));
  });

  it('distrusts a previous scan further ahead than the margin covers and scans back to the horizon', () => {
    expect(queueScanFrom({ scannedAt: new Date(now.getTime() + COMMIT_MARGIN_MS + 1) }, now, horizon)).toEqual(horizon);
  });
});
