import { describe, expect, it } from 'vitest';
import { COMMIT_MARGIN_MS, queueScanFrom } from './stream-queue.ts';

const now = new Date('2026-12-02T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const HOUR_MS = 60 * 60 * 1000;
const horizon = ago(7 * 24 * HOUR_MS);

describe('queueScanFrom', () => {
  it('without a previous measurement, scans back to the retention horizon (from the first outcome kept when retention has deleted nothing)', () => {
    expect(queueScanFrom(null, now, horizon)).toEqual(horizon);
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: null, streamQueuedOldestAt: null }, now, horizon)).toEqual(horizon);
    expect(queueScanFrom(null, now, null)).toEqual(new Date(0));
  });

  it('with nothing queued last time, starts a commit margin before that sample', () => {
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 0, streamQueuedOldestAt: null }, now, horizon)).toEqual(ago(10_000 + COMMIT_MARGIN_MS));
  });

  it('goes back to the oldest message still queued last time, however long ago it was signalled', () => {
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 4, streamQueuedOldestAt: ago(600_000) }, now, horizon)).toEqual(ago(600_000));
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 1, streamQueuedOldestAt: ago(5_000) }, now, horizon)).toEqual(ago(10_000 + COMMIT_MARGIN_MS));
    // Stuck for three hours, then for two days: the scan keeps reaching back to it.
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 9, streamQueuedOldestAt: ago(3 * HOUR_MS) }, now, horizon)).toEqual(ago(3 * HOUR_MS));
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 1, streamQueuedOldestAt: ago(48 * HOUR_MS) }, now, null)).toEqual(ago(48 * HOUR_MS));
  });

  it('never starts before the retention horizon: older outcomes are deleted or being deleted', () => {
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 1, streamQueuedOldestAt: ago(8 * 24 * HOUR_MS) }, now, horizon)).toEqual(horizon);
  });

  it('after a long gap in sampling, scans everything since the previous sample', () => {
    expect(queueScanFrom({ sampledAt: ago(5 * HOUR_MS), streamQueued: 0, streamQueuedOldestAt: null }, now, horizon)).toEqual(ago(5 * HOUR_MS + COMMIT_MARGIN_MS));
  });

  it('takes a previous sample up to a commit margin ahead (a replica with a slightly fast clock) as taken now', () => {
    expect(queueScanFrom({ sampledAt: new Date(now.getTime() + 5_000), streamQueued: 0, streamQueuedOldestAt: null }, now, horizon)).toEqual(ago(COMMIT_MARGIN_MS));
    expect(queueScanFrom({ sampledAt: new Date(now.getTime() + 5_000), streamQueued: 2, streamQueuedOldestAt: ago(2 * HOUR_MS) }, now, horizon)).toEqual(ago(2 * HOUR_MS));
  });

  it('distrusts a previous sample further ahead than the margin covers and scans back to the horizon', () => {
    expect(queueScanFrom({ sampledAt: new Date(now.getTime() + COMMIT_MARGIN_MS + 1), streamQueued: 0, streamQueuedOldestAt: null }, now, horizon)).toEqual(horizon);
  });
});
