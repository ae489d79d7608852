import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SLOT_WAL_KEEP_SIZE, maxSlotWalKeepSize } from './postgres.ts';
import { StackSetupError } from './prerequisites.ts';

describe('maxSlotWalKeepSize', () => {
  it('defaults to 2GB when unset or empty', () => {
    expect(DEFAULT_MAX_SLOT_WAL_KEEP_SIZE).toBe('2GB');
    expect(maxSlotWalKeepSize(undefined)).toBe('2GB');
    expect(maxSlotWalKeepSize('  ')).toBe('2GB');
  });

  it('takes sizes in the units Postgres reads, a bare number of MB, and -1 for no limit', () => {
    for (const value of ['512MB', '4GB', '1TB', '65536kB', '1024', '-1']) expect(maxSlotWalKeepSize(value)).toBe(value);
    expect(maxSlotWalKeepSize(' 8GB ')).toBe('8GB');
  });

  it('refuses what Postgres would not take, or less than one WAL segment, naming the variable', () => {
    for (const value of ['2gb', '2 GB', '2GiB', '1.5GB', 'lots', '-5', '0', '8MB', '1024kB']) {
      expect(() => maxSlotWalKeepSize(value)).toThrow(StackSetupError);
    }
    expect(() => maxSlotWalKeepSize('2gb')).toThrow(/POSTGRES_MAX_SLOT_WAL_KEEP_SIZE=2gb .* case-sensitive/);
  });
});
