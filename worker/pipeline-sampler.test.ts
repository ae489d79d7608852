import { describe, expect, it } from 'vitest';
import { consumerLag, ratePerSecond, taskQueueBacklog, windowStart } from './pipeline-sampler.ts';

describe('consumerLag', () => {
  it('is the high watermark minus the committed offset, per partition and in total', () => {
    const lag = consumerLag(
      [
        { partition: 1, high: '40', low: '0' },
        { partition: 0, high: '100', low: '0' },
      ],
      [
        { partition: 0, offset: '90' },
        { partition: 1, offset: '40' },
      ],
    );
    expect(lag).toEqual({ total: 10, partitions: [{ partition: 0, lag: 10 }, { partition: 1, lag: 0 }] });
  });

  it('counts a partition with no committed offset by everything it holds', () => {
    const lag = consumerLag(
      [
        { partition: 0, high: '25', low: '5' },
        { partition: 1, high: '7', low: '0' },
      ],
      [{ partition: 0, offset: '-1' }],
    );
    expect(lag.partitions).toEqual([{ partition: 0, lag: 20 }, { partition: 1, lag: 7 }]);
    expect(lag.total).toBe(27);
  });

  it('measures from the low watermark when retention removed offsets the group had not read', () => {
    expect(consumerLag([{ partition: 0, high: '500', low: '300' }], [{ partition: 0, offset: '120' }]).total).toBe(200);
  });

  it('never reports negative lag for a committed offset past the high watermark', () => {
    expect(consumerLag([{ partition: 0, high: '10', low: '0' }], [{ partition: 0, offset: '12' }]).partitions).toEqual([{ partition: 0, lag: 0 }]);
  });

  it('handles offsets beyond 2^53 exactly until the difference', () => {
    expect(consumerLag([{ partition: 0, high: '9007199254741000', low: '0' }], [{ partition: 0, offset: '9007199254740993' }]).total).toBe(7);
  });

  it('is zero for a topic without partitions', () => {
    expect(consumerLag([], [])).toEqual({ total: 0, partitions: [] });
  });
});

describe('ratePerSecond', () => {
  it('divides by the window in seconds, to hundredths', () => {
    expect(ratePerSecond(25, 0, 10_000)).toBe(2.5);
    expect(ratePerSecond(1, 0, 3_000)).toBe(0.33);
  });

  it('is 0 for an empty or inverted window', () => {
    expect(ratePerSecond(5, 1000, 1000)).toBe(0);
    expect(ratePerSecond(5, 2000, 1000)).toBe(0);
  });
});

describe('windowStart', () => {
  const now = new Date('2025-01-01T12:00:00Z');

  it('starts at the previous sample when it is recent', () => {
    const previous = new Date('2025-01-01T11:59:51Z');
    expect(windowStart(previous, now, 10_000)).toEqual(previous);
  });

  it('falls back to one interval when there is no previous sample, or it is old, or in the future', () => {
    const oneIntervalBack = new Date('2025-01-01T11:59:50Z');
    expect(windowStart(null, now, 10_000)).toEqual(oneIntervalBack);
    expect(windowStart(new Date('2025-01-01T10:00:00Z'), now, 10_000)).toEqual(oneIntervalBack);
    expect(windowStart(new Date('2025-01-01T12:00:05Z'), now, 10_000)).toEqual(oneIntervalBack);
  });
});

describe('taskQueueBacklog', () => {
  it('sums the backlogs of the reported task queue types', () => {
    expect(taskQueueBacklog([{ approximateBacklogCount: 3 }, { approximateBacklogCount: { toNumber: () => 4 } }])).toBe(7);
  });

  it('counts stats without a backlog count as zero (protobuf omits zero)', () => {
    expect(taskQueueBacklog([{}, { approximateBacklogCount: null }])).toBe(0);
  });

  it('is null when Temporal reports no stats', () => {
    expect(taskQueueBacklog([null, undefined])).toBeNull();
    expect(taskQueueBacklog([])).toBeNull();
  });
});
