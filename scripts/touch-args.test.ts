import { describe, expect, it } from 'vitest';
import { parseTouchArgs, TouchUsageError } from './touch-args.ts';

const usage = (argv: string[]): string => {
  try {
    parseTouchArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(TouchUsageError);
    return (err as Error).message;
  }
  throw new Error('expected a TouchUsageError');
};

describe('parseTouchArgs', () => {
  it('reads a full command line', () => {
    expect(parseTouchArgs(['--store', 'NY-102', '--sku-prefix', 'PRD-', '--lots', '--limit', '20000', '--reason', 'fix deployed', '--yes'])).toEqual({
      help: false,
      request: { storeId: 'NY-102', skuPrefix: 'PRD-', includeLots: true, reason: 'fix deployed' },
      limit: 20_000,
      yes: true,
    });
  });

  it('defaults to levels only, the console cap, and asking first', () => {
    expect(parseTouchArgs(['--store=SF-001', '--reason=why'])).toEqual({
      help: false,
      request: { storeId: 'SF-001', skuPrefix: undefined, includeLots: false, reason: 'why' },
      limit: 5_000,
      yes: false,
    });
    expect(parseTouchArgs(['--help'])).toEqual({ help: true });
  });

  it('names every missing or bad argument by its flag', () => {
    expect(usage([])).toBe('--store: store is required\n--reason: reason is required');
    expect(usage(['--store', 'NY\u0000102', '--reason', ' ', '--limit', '0'])).toBe(
      '--store: store must not contain control characters (such as NUL)\n' +
        '--reason: A reason is required to re-drive rows; it goes into the audit log.\n' +
        '--limit must be at least 1',
    );
    expect(usage(['--store', 'NY-102', '--reason', 'r', '--limit', '100001'])).toBe('--limit is at most 100000');
    expect(usage(['--store', 'NY-102', '--reason', 'r', '--limit', '5k'])).toBe('--limit must be a whole number of rows');
  });

  it('refuses unknown flags, stray words and flags without their value', () => {
    expect(usage(['--store', 'NY-102', '--reason', 'r', '--everything'])).toContain("Unknown option '--everything'");
    expect(usage(['NY-102'])).toContain("Unexpected argument 'NY-102'");
    expect(usage(['--reason', 'r', '--store'])).toContain("Option '--store <value>' argument missing");
  });
});
