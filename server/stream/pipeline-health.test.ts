import { describe, expect, it } from 'vitest';
import { bucketSamples, parsePartitionLag, streamQueueLatest, tableHealth, type SampleRow } from './pipeline-health.ts';

const base = Date.parse('2025-01-01T12:00:00Z');

function sample(offsetSeconds: number, overrides: Partial<SampleRow> = {}): SampleRow {
  return {
    tableName: 'inventory_levels',
    sampledAt: new Date(base + offsetSeconds * 1000),
    slotLagBytes: 100n,
    consumerLag: 0n,
    partitionLag: [],
    messagesPerSecond: 0,
    workflowBacklog: 0,
    deadLetters: 0,
    streamQueued: null,
    streamQueuedOldestAt: null,
    ...overrides,
  };
}

describe('bucketSamples', () => {
  it('takes maxima of lags and backlog, the mean rate, and dead letters per minute per bucket', () => {
    const points = bucketSamples(
      [
        sample(0, { consumerLag: 5n, slotLagBytes: 10n, messagesPerSecond: 2, workflowBacklog: 1, deadLetters: 1, streamQueued: 4 }),
        sample(10, { consumerLag: 9n, slotLagBytes: null, messagesPerSecond: 4, workflowBacklog: null, deadLetters: 2, streamQueued: 12 }),
        sample(20, { consumerLag: 1n, slotLagBytes: 30n, messagesPerSecond: 3, workflowBacklog: 7, deadLetters: 0, streamQueued: null }),
        sample(30, { consumerLag: 0n, slotLagBytes: null, messagesPerSecond: 1, workflowBacklog: null, deadLetters: 0 }),
      ],
      30_000,
    );
    expect(points).toEqual([
      { t: base, slotLagBytes: 30, consumerLag: 9, messagesPerSecond: 3, workflowBacklog: 7, deadLettersPerMinute: 6, streamQueued: 12 },
      { t: base + 30_000, slotLagBytes: null, consumerLag: 0, messagesPerSecond: 1, workflowBacklog: null, deadLettersPerMinute: 0, streamQueued: null },
    ]);
  });

  it('is empty without samples', () => {
    expect(bucketSamples([], 30_000)).toEqual([]);
  });
});

describe('parsePartitionLag', () => {
  it('keeps well-formed entries, sorted by partition', () => {
    expect(parsePartitionLag([{ partition: 2, lag: 1 }, { partition: 0, lag: 4 }, { partition: 'x', lag: 1 }, null, 3])).toEqual([
      { partition: 0, lag: 4 },
      { partition: 2, lag: 1 },
    ]);
  });

  it('is empty for anything that is not an array', () => {
    expect(parsePartitionLag({ partition: 0, lag: 1 })).toEqual([]);
    expect(parsePartitionLag(null)).toEqual([]);
  });
});

describe('tableHealth', () => {
  it('has no latest values and no series before the first sample', () => {
    expect(tableHealth('inventory_lots', [], new Date(base))).toEqual({ table: 'inventory_lots', latest: null, stale: false, series: [] });
  });

  it('reports the newest sample, the window total of dead letters, and staleness after three intervals', () => {
    const samples = [sample(0, { deadLetters: 2 }), sample(10, { consumerLag: 3n, partitionLag: [{ partition: 0, lag: 3 }], deadLetters: 1 })];
    const fresh = tableHealth('inventory_levels', samples, new Date(base + 15_000));
    expect(fresh.latest).toMatchObject({ consumerLag: 3, partitions: [{ partition: 0, lag: 3 }], deadLettersInWindow: 3, sampledAt: new Date(base + 10_000).toISOString() });
    expect(fresh.stale).toBe(false);
    expect(tableHealth('inventory_levels', samples, new Date(base + 10_000 + 31_000)).stale).toBe(true);
  });

  it('ages the newest sample\'s oldest queued message to now, so it keeps growing while samples stop', () => {
    const samples = [sample(0, { streamQueued: 3, streamQueuedOldestAt: new Date(base - 20_000) })];
    expect(tableHealth('inventory_levels', samples, new Date(base + 100_000)).latest?.streamQueue).toEqual({
      queued: 3,
      oldestAt: new Date(base - 20_000).toISOString(),
      oldestAgeMs: 120_000,
      level: 'warn',
    });
  });
});

describe('streamQueueLatest', () => {
  const now = new Date(base);
  const queuedSince = (ageMs: number, streamQueued = 2) => streamQueueLatest({ streamQueued, streamQueuedOldestAt: new Date(base - ageMs) }, now);

  it('is ok while the oldest queued message is younger than a minute, amber from a minute, red from five', () => {
    expect(queuedSince(59_999)?.level).toBe('ok');
    expect(queuedSince(60_000)?.level).toBe('warn');
    expect(queuedSince(299_999)?.level).toBe('warn');
    expect(queuedSince(300_000)).toMatchObject({ queued: 2, oldestAgeMs: 300_000, level: 'error' });
  });

  it('is ok with nothing queued, and absent for samples that did not measure it', () => {
    expect(streamQueueLatest({ streamQueued: 0, streamQueuedOldestAt: null }, now)).toEqual({ queued: 0, oldestAt: null, oldestAgeMs: null, level: 'ok' });
    expect(streamQueueLatest({ streamQueued: null, streamQueuedOldestAt: null }, now)).toBeNull();
  });
});
