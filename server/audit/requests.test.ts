import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { AUDIT_PAGE_SIZE, parseAuditQuery } from './requests.ts';

const parse = (qs: string) => parseAuditQuery(new URLSearchParams(qs));

function issues(qs: string): string[] {
  try {
    parse(qs);
  } catch (err) {
    if (err instanceof ZodError) return err.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw err;
  }
  throw new Error(`expected ${qs} to be refused`);
}

describe('parseAuditQuery', () => {
  it('treats an empty query, and empty fields, as no filter', () => {
    expect(parse('')).toEqual({ limit: AUDIT_PAGE_SIZE });
    expect(parse('actor=&action=&target=%20&reason=&from=&to=')).toEqual({ limit: AUDIT_PAGE_SIZE });
  });

  it('trims text filters and reads the time range as instants', () => {
    expect(parse('actor=%20admin%20&action=inventory.adjust&target=TO-201&reason=walk-in&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00%2B01:00&limit=10&cursor=42')).toEqual({
      actor: 'admin',
      action: 'inventory.adjust',
      target: 'TO-201',
      reason: 'walk-in',
      from: new Date('2025-01-01T00:00:00Z'),
      to: new Date('2025-01-01T23:00:00Z'),
      limit: 10,
      cursor: '42',
    });
  });

  it('refuses a malformed date, an inverted range, a bad cursor and an out-of-range limit, naming each', () => {
    expect(issues('from=yesterday')[0]).toMatch(/^from: from must be an ISO date-time/);
    expect(issues('from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z')).toEqual(['to: "to" must not be before "from"']);
    expect(issues('cursor=abc')[0]).toMatch(/^cursor: cursor is not a valid page cursor/);
    expect(issues('limit=0')).toEqual(['limit: limit must be at least 1']);
    expect(issues('limit=500')).toEqual(['limit: limit is at most 200']);
    expect(issues('limit=2.5')).toEqual(['limit: limit must be a whole number']);
    expect(issues(`reason=${'x'.repeat(201)}`)).toEqual(['reason: reason is limited to 200 characters']);
  });
});
