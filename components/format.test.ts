import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatClock,
  formatCount,
  formatDateTime,
  formatDuration,
  formatHourMinute,
  formatElapsed,
  formatLatency,
  formatPercent,
  formatPreciseDateTime,
  formatRate,
  formatShortDateTime,
  formatSigned,
  formatTimeOfDay,
  fromLocalInput,
  plural,
  timeAgo,
  toLocalInput,
} from './format.ts';

describe('timestamps', () => {
  const at = new Date(2026, 11, 2, 19, 32, 13, 42); // local time, so the zone the test runs in does not matter

  it('formatDateTime shows "—" for no time and the text itself for something that is not a time', () => {
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime(undefined)).toBe('—');
    expect(formatDateTime('')).toBe('—');
    expect(formatDateTime('not a time')).toBe('not a time');
    expect(formatDateTime(at)).toContain('2026');
    expect(formatDateTime(at.toISOString())).toBe(formatDateTime(at));
  });

  it('formatShortDateTime has month, day and 24-hour minutes; formatClock adds the milliseconds', () => {
    expect(formatShortDateTime(at)).toBe('Dec 2, 19:32');
    expect(formatClock(at)).toBe('19:32:13.042');
    expect(formatClock(at.getTime())).toBe('19:32:13.042');
    expect(formatTimeOfDay(at)).toBe('19:32:13');
  });

  it('formatHourMinute has the minutes but not the seconds', () => {
    expect(formatHourMinute(at)).toMatch(/32/);
    expect(formatHourMinute(at)).not.toMatch(/13/);
  });

  it('formatPreciseDateTime keeps the milliseconds and the year', () => {
    const text = formatPreciseDateTime(at);
    expect(text).toContain('2026');
    expect(text).toContain('13.042');
  });

  it('toLocalInput and fromLocalInput round-trip to the minute', () => {
    expect(toLocalInput(at)).toBe('2026-12-02T19:32');
    expect(fromLocalInput('2026-12-02T19:32')?.getTime()).toBe(new Date(2026, 11, 2, 19, 32).getTime());
    expect(toLocalInput(undefined)).toBe('');
    expect(fromLocalInput('')).toBeUndefined();
    expect(fromLocalInput('garbage')).toBeUndefined();
  });
});

describe('timeAgo', () => {
  const now = '2025-01-01T12:00:00Z';
  it('reads naturally from seconds to hours', () => {
    expect(timeAgo('2025-01-01T12:00:00Z', now)).toBe('just now');
    expect(timeAgo('2025-01-01T11:59:48Z', now)).toBe('12 s ago');
    expect(timeAgo('2025-01-01T11:57:00Z', now)).toBe('3 min ago');
    expect(timeAgo('2025-01-01T10:00:00Z', now)).toBe('2 h ago');
    expect(timeAgo(Date.parse('2025-01-01T11:59:30Z'), Date.parse(now))).toBe('30 s ago');
  });
});

describe('durations', () => {
  it('formatDuration reads in seconds, minutes, then hours and minutes', () => {
    expect(formatDuration(-5)).toBe('0 s');
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59_999)).toBe('59 s');
    expect(formatDuration(3 * 60_000 + 5_000)).toBe('3 min');
    expect(formatDuration(2 * 3_600_000)).toBe('2 h');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min');
  });

  it('formatLatency reads in milliseconds, then seconds with a decimal, then minutes and seconds', () => {
    expect(formatLatency(240)).toBe('240 ms');
    expect(formatLatency(999.6)).toBe('1.0 s');
    expect(formatLatency(1_840)).toBe('1.8 s');
    expect(formatLatency(120_000)).toBe('2 min');
    expect(formatLatency(125_400)).toBe('2 min 5 s');
  });

  it('formatElapsed is signed and grows to days', () => {
    const start = '2025-01-01T00:00:00.000Z';
    expect(formatElapsed(start, '2025-01-01T00:00:00.042Z')).toBe('+42 ms');
    expect(formatElapsed(start, '2025-01-01T00:00:01.300Z')).toBe('+1.3 s');
    expect(formatElapsed(start, '2025-01-01T00:02:05Z')).toBe('+2 min 5 s');
    expect(formatElapsed(start, '2025-01-01T03:04:00Z')).toBe('+3 h 4 min');
    expect(formatElapsed(start, '2025-01-03T01:00:00Z')).toBe('+2 d 1 h');
    expect(formatElapsed(start, '2024-12-31T23:00:00Z')).toBe('+0 ms');
    expect(formatElapsed(start, 'not a time')).toBe('');
  });
});

describe('numbers', () => {
  it('formatCount groups thousands; formatRate keeps at most two decimals', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(0)).toBe('0');
    expect(formatRate(2.345)).toBe('2.35');
    expect(formatRate(3)).toBe('3');
  });

  it('plural picks the noun by the count and groups thousands', () => {
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(0, 'entry', 'entries')).toBe('0 entries');
    expect(plural(1200, 'row')).toBe('1,200 rows');
  });

  it('formatSigned always shows the sign of a change', () => {
    expect(formatSigned(5)).toBe('+5');
    expect(formatSigned(-3)).toBe('-3');
    expect(formatSigned(0)).toBe('0');
  });

  it('formatPercent has one decimal, two for a tiny non-zero rate', () => {
    expect(formatPercent(0)).toBe('0.0 %');
    expect(formatPercent(0.125)).toBe('12.5 %');
    expect(formatPercent(0.0005)).toBe('0.05 %');
    expect(formatPercent(1)).toBe('100.0 %');
  });

  it('formatBytes uses binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});
