import { describe, expect, it } from 'vitest';
import { acknowledgeArgument, formatLsn, InvalidLsnError, parseLsn } from './lsn.ts';

describe('LSNs', () => {
  it('round-trips both spellings (padded from pgoutput, plain from Postgres) and orders numerically', () => {
    expect(parseLsn('00000000/01C319F8')).toBe(parseLsn('0/1C319F8'));
    expect(formatLsn(parseLsn('00000000/01C319F8'))).toBe('0/1C319F8');
    expect(formatLsn(parseLsn('16/b374d848'))).toBe('16/B374D848');
    expect(parseLsn('1/0')).toBeGreaterThan(parseLsn('0/FFFFFFFF'));
    expect(() => parseLsn('1C319F8')).toThrow(InvalidLsnError);
  });

  it('passes the library one less than the LSN to confirm, since it reports its argument + 1', () => {
    expect(acknowledgeArgument(parseLsn('0/1C319F8'))).toBe('0/1C319F7');
    // Across the 32-bit boundary: the library turns x/FFFFFFFF + 1 into (x+1)/0.
    expect(acknowledgeArgument(parseLsn('2/0'))).toBe('1/FFFFFFFF');
    expect(() => acknowledgeArgument(0n)).toThrow(InvalidLsnError);
  });
});
