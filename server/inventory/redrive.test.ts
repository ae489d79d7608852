import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { parseRedriveQuery, redriveRequestSchema, redriveSelectionSchema, redriveTarget, RedriveTooBroadError } from './redrive.ts';

const messages = (run: () => unknown): string[] => {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ZodError);
    return (err as ZodError).issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`);
  }
  throw new Error('expected a ZodError');
};

describe('redriveRequestSchema', () => {
  const valid = { storeId: ' NY-102 ', skuPrefix: ' PRD- ', reason: ' fix deployed ' };

  it('trims, treats an empty prefix as every SKU, and leaves lots out unless asked', () => {
    expect(redriveRequestSchema.parse(valid)).toEqual({ storeId: 'NY-102', skuPrefix: 'PRD-', includeLots: false, reason: 'fix deployed' });
    expect(redriveRequestSchema.parse({ ...valid, skuPrefix: '   ', includeLots: true })).toEqual({
      storeId: 'NY-102',
      skuPrefix: undefined,
      includeLots: true,
      reason: 'fix deployed',
    });
  });

  it('requires a store and a reason', () => {
    expect(messages(() => redriveRequestSchema.parse({ skuPrefix: 'PRD-' }))).toEqual(['storeId: store is required', 'reason: reason is required']);
    expect(messages(() => redriveRequestSchema.parse({ ...valid, storeId: '  ', reason: ' ' }))).toEqual([
      'storeId: Choose a store: a re-drive covers one store at a time.',
      'reason: A reason is required to re-drive rows; it goes into the audit log.',
    ]);
  });

  it('refuses NUL and other control characters, which Postgres text cannot take, but keeps line breaks in the reason', () => {
    expect(messages(() => redriveRequestSchema.parse({ ...valid, storeId: 'NY\u0000102', skuPrefix: 'PRD\u0007', reason: 'a\u0000b' }))).toEqual([
      'storeId: store must not contain control characters (such as NUL)',
      'skuPrefix: SKU prefix must not contain control characters (such as NUL)',
      'reason: reason must not contain control characters (such as NUL)',
    ]);
    expect(redriveRequestSchema.parse({ ...valid, reason: 'line one\nline two\twith a tab' }).reason).toBe('line one\nline two\twith a tab');
  });

  it('limits lengths and types', () => {
    expect(messages(() => redriveRequestSchema.parse({ storeId: 'S'.repeat(65), skuPrefix: 'P'.repeat(65), reason: 'r'.repeat(501) }))).toEqual([
      'storeId: store is limited to 64 characters',
      'skuPrefix: SKU prefix is limited to 64 characters',
      'reason: reason is limited to 500 characters',
    ]);
    expect(messages(() => redriveRequestSchema.parse({ ...valid, skuPrefix: 7, includeLots: 'yes' }))).toEqual([
      'skuPrefix: SKU prefix must be text',
      'includeLots: includeLots must be true or false',
    ]);
    expect(messages(() => redriveRequestSchema.parse(null))).toHaveLength(1);
  });

  it('keeps LIKE wildcards as they are typed: they are matched literally, not as patterns', () => {
    expect(redriveSelectionSchema.parse({ storeId: 'NY-102', skuPrefix: '50%_off\\' }).skuPrefix).toBe('50%_off\\');
  });
});

describe('parseRedriveQuery', () => {
  it('reads store, skuPrefix and the lots flag', () => {
    expect(parseRedriveQuery(new URLSearchParams('store=NY-102&skuPrefix=PRD-&lots=1'))).toEqual({ storeId: 'NY-102', skuPrefix: 'PRD-', includeLots: true });
    expect(parseRedriveQuery(new URLSearchParams('storeId=NY-102&lots=false'))).toEqual({ storeId: 'NY-102', skuPrefix: undefined, includeLots: false });
    expect(parseRedriveQuery(new URLSearchParams('store=NY-102'))).toEqual({ storeId: 'NY-102', skuPrefix: undefined, includeLots: false });
  });

  it('answers a missing store or an unreadable flag with a message', () => {
    expect(messages(() => parseRedriveQuery(new URLSearchParams('skuPrefix=PRD-')))).toEqual(['storeId: store is required']);
    expect(messages(() => parseRedriveQuery(new URLSearchParams('store=NY-102&lots=maybe')))).toEqual(['input: lots must be 1, true, 0 or false']);
  });
});

describe('the re-drive wording', () => {
  it('names the tables, store and prefix in the audit target', () => {
    expect(redriveTarget({ storeId: 'NY-102', skuPrefix: 'PRD-', includeLots: false })).toBe('inventory_levels:NY-102/PRD-*');
    expect(redriveTarget({ storeId: 'NY-102', skuPrefix: undefined, includeLots: true })).toBe('inventory_levels+inventory_lots:NY-102/*');
  });

  it('tells the operator how to narrow an over-cap selection', () => {
    expect(new RedriveTooBroadError(12_345, 5_000).message).toBe(
      '12,345 rows match; one re-drive takes at most 5,000. Narrow the selection with a longer SKU prefix, or leave out lots.',
    );
  });
});
