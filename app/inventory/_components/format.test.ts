import { describe, expect, it } from 'vitest';
import { formatLatency } from './format.ts';

describe('formatLatency', () => {
  it('reads in milliseconds, then seconds with a decimal, then minutes and seconds', () => {
    expect(formatLatency(240)).toBe('240 ms');
    expect(formatLatency(999.6)).toBe('1.0 s');
    expect(formatLatency(1_840)).toBe('1.8 s');
    expect(formatLatency(120_000)).toBe('2 min');
    expect(formatLatency(125_400)).toBe('2 min 5 s');
  });
});
