import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { freeText, identifierText } from './text-rules.ts';

const messages = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

describe('identifierText', () => {
  const sku = identifierText('SKU', 8);
  it('trims and accepts plain identifiers', () => {
    expect(sku.parse('  PRD-1 ')).toBe('PRD-1');
  });
  it('refuses NUL and every other control character, naming the field', () => {
    for (const bad of ['PRD\u00001', 'PRD\u0001', 'PRD\u001b', 'PRD\u007f', 'P\tRD']) {
      expect(messages(sku, bad)).toEqual(['SKU must not contain control characters (such as NUL)']);
    }
  });
  it('refuses empty, too long and non-text values, naming the field', () => {
    expect(messages(sku, '   ')).toEqual(['SKU is required']);
    expect(messages(sku, 'X'.repeat(9))).toEqual(['SKU is limited to 8 characters']);
    expect(messages(sku, 12)).toEqual(['SKU is required']);
  });
});

describe('freeText', () => {
  const note = freeText('note', 20);
  it('keeps line breaks and tabs', () => {
    expect(note.parse('one\r\ntwo\tthree')).toBe('one\r\ntwo\tthree');
  });
  it('refuses NUL and other control characters', () => {
    expect(messages(note, 'a\u0000b')).toEqual(['note must not contain control characters (such as NUL)']);
    expect(messages(note, 'a\u0007b')).toEqual(['note must not contain control characters (such as NUL)']);
  });
});
