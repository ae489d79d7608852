import { describe, expect, it } from 'vitest';
import { addMonthsUtc, firstOfNextMonthUtc } from './benefit-dates.ts';

const utc = (iso: string) => new Date(`${iso}Z`);

describe('addMonthsUtc', () => {
  it('keeps the day and time of day', () => {
    expect(addMonthsUtc(utc('2026-03-15T09:30:00'), 3)).toEqual(utc('2026-06-15T09:30:00'));
  });

  it('clamps to the last day of a shorter month, leap years included', () => {
    expect(addMonthsUtc(utc('2026-01-31T12:00:00'), 1)).toEqual(utc('2026-02-28T12:00:00'));
    expect(addMonthsUtc(utc('2027-01-31T12:00:00'), 13)).toEqual(utc('2028-02-29T12:00:00'));
    expect(addMonthsUtc(utc('2028-02-29T00:00:00'), 12)).toEqual(utc('2029-02-28T00:00:00'));
  });

  it('crosses year ends', () => {
    expect(addMonthsUtc(utc('2026-11-30T23:59:59'), 3)).toEqual(utc('2027-02-28T23:59:59'));
  });
});

describe('firstOfNextMonthUtc', () => {
  it('is midnight on the first of the following month, even from a first or the last instant of a month', () => {
    expect(firstOfNextMonthUtc(utc('2026-04-01T00:00:00'))).toEqual(utc('2026-05-01T00:00:00'));
    expect(firstOfNextMonthUtc(utc('2026-04-30T23:59:59.999'))).toEqual(utc('2026-05-01T00:00:00'));
    expect(firstOfNextMonthUtc(utc('2026-12-31T18:00:00'))).toEqual(utc('2027-01-01T00:00:00'));
  });
});
