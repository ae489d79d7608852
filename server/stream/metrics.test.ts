import { describe, expect, it } from 'vitest';
import { ProcessorMetrics } from './metrics.ts';
import { backoffDelay, describeError } from './run-sub-processor.ts';

describe('ProcessorMetrics', () => {
  it('counts messages and outcomes per topic and sub-processor', () => {
    const metrics = new ProcessorMetrics(() => 1_000_000);
    metrics.message('levels', 'change');
    metrics.message('levels', 'change');
    metrics.message('levels', 'resolved');
    metrics.message('levels', 'malformed');
    metrics.outcome('levels', 'sync', 'applied');
    metrics.outcome('levels', 'sync', 'duplicate');
    metrics.outcome('levels', 'sync', 'stale');
    metrics.outcome('levels', 'other', 'ignored');
    metrics.outcome('levels', 'other', 'dead_lettered');
    metrics.lag('levels', 1, 7);
    metrics.lag('levels', 0, 3);

    const [topic] = metrics.snapshot().topics;
    expect(topic).toMatchObject({ topic: 'levels', messages: 4, resolved: 1, malformed: 1 });
    expect(topic?.subProcessors).toEqual([
      { name: 'sync', messages: 3, applied: 1, signalled: 0, duplicates: 1, stale: 1, ignored: 0, deadLetters: 0 },
      { name: 'other', messages: 2, applied: 0, signalled: 0, duplicates: 0, stale: 0, ignored: 1, deadLetters: 1 },
    ]);
    expect(topic?.lag.total).toBe(10);
    expect(topic?.lag.partitions.map((p) => p.partition)).toEqual([0, 1]);
  });

  it('reports messages per second over the last minute only', () => {
    let now = 0;
    const metrics = new ProcessorMetrics(() => now);
    for (let second = 0; second <= 120; second++) {
      now = second * 1000;
      metrics.message('t', 'change');
      metrics.message('t', 'change');
    }
    now = 120_999;
    expect(metrics.snapshot().topics[0]?.messagesPerSecond).toBe(2);
    now = 150_999;
    expect(metrics.snapshot().topics[0]?.messagesPerSecond).toBe(1);
    now = 300_000;
    expect(metrics.snapshot().topics[0]?.messagesPerSecond).toBe(0);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base delay, caps at the maximum, and jitters within the upper half of each step', () => {
    const policy = { baseDelayMs: 200, maxDelayMs: 5000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(attempt, policy, () => 1))).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect([1, 2, 6].map((attempt) => backoffDelay(attempt, policy, () => 0))).toEqual([100, 200, 2500]);
  });
});

describe('describeError', () => {
  it('prefixes the error class once', () => {
    expect(describeError(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeError(new Error('Error: already prefixed'))).toBe('Error: already prefixed');
    expect(describeError('plain')).toBe('plain');
    expect(describeError({ code: 7 })).toBe('{"code":7}');
  });
});
