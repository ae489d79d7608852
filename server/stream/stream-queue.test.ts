import { describe, expect, it } from 'vitest';
import { COMMIT_MARGIN_MS, queueScanFrom, STREAM_QUEUE_WINDOW_MS } from './stream-queue.ts';

const now = new Date('2026-12-02T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

describe('queueScanFrom', () => {
  it('scans the whole window without a previous measurement', () => {
    expect(queueScanFrom(null, now)).toEqual(ago(STREAM_QUEUE_WINDOW_MS));
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: null, streamQueuedOldestAt: null }, now)).toEqual(ago(STREAM_QUEUE_WINDOW_MS));
  });

  it('with nothing queued last time, starts a commit margin before that sample', () => {
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 0, streamQueuedOldestAt: null }, now)).toEqual(ago(10_000 + COMMIT_MARGIN_MS));
  });

  it('goes back to the oldest message still queued last time, but never past the window', () => {
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 4, streamQueuedOldestAt: ago(600_000) }, now)).toEqual(ago(600_000));
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 1, streamQueuedOldestAt: ago(5_000) }, now)).toEqual(ago(10_000 + COMMIT_MARGIN_MS));
    expect(queueScanFrom({ sampledAt: ago(10_000), streamQueued: 9, streamQueuedOldestAt: ago(3 * STREAM_QUEUE_WINDOW_MS) }, now)).toEqual(ago(STREAM_QUEUE_WINDOW_MS));
  });

  it('distrusts a previous sample from the future (a replica with a fast clock) and scans the window', () => {
    expect(queueScanFrom({ sampledAt: new Date(now.getTime() + 5_000), streamQueued: 0, streamQueuedOldestAt: null }, now)).toEqual(ago(STREAM_QUEUE_WINDOW_MS));
  });
});
