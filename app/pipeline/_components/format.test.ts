import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatRate, timeAgo } from './format.ts';

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });
});

describe('formatCount and formatRate', () => {
  it('group thousands; rates keep two decimals', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatRate(2.345)).toBe('2.35');
    expect(formatRate(3)).toBe('3');
  });
});

describe('timeAgo', () => {
  const now = '2025-01-01T12:00:00Z';
  it('reads naturally from seconds to hours', () => {
    expect(timeAgo('2025-01-01T12:00:00Z', now)).toBe('just now');
    expect(timeAgo('2025-01-01T11:59:48Z', now)).toBe('12 s ago');
    expect(timeAgo('2025-01-01T11:57:00Z', now)).toBe('3 min ago');
    expect(timeAgo('2025-01-01T10:00:00Z', now)).toBe('2 h ago');
  });
});

describe('formatDuration', () => {
  it('reads in seconds, minutes, then hours and minutes', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59_999)).toBe('59 s');
    expect(formatDuration(3 * 60_000 + 5_000)).toBe('3 min');
    expect(formatDuration(2 * 3_600_000)).toBe('2 h');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min');
  });
});
