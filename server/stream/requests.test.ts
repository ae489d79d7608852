import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { deadLetterListSchema, deadLetterQueryString, filterBody, parseDeadLetterQuery, safeParseDeadLetterQuery } from './requests.ts';

const parse = (qs: string) => parseDeadLetterQuery(new URLSearchParams(qs));

describe('dead-letter query', () => {
  it('defaults to the pending work queue with no filter', () => {
    expect(parse('')).toEqual({ state: 'pending' });
  });

  it('parses every filter field, trimming text and dropping empty ones', () => {
    expect(parse('topic=inventory_levels&subProcessor=%20low-stock-replenishment%20&errorText=&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00.000%2B01:00&state=all')).toEqual({
      topic: 'inventory_levels',
      subProcessor: 'low-stock-replenishment',
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-01-01T23:00:00Z'),
      state: 'all',
    });
  });

  it('refuses an unknown state, a bad date, an inverted range and over-long text with clear messages', () => {
    expect(() => parse('state=lost')).toThrow(/state must be one of pending, replayed, superseded, discarded, all/);
    expect(() => parse('from=yesterday')).toThrow(/from must be an ISO date-time/);
    expect(() => parse('from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')).toThrow(/must be before/);
    expect(() => parse(`errorText=${'x'.repeat(201)}`)).toThrow(ZodError);
  });

  it('round-trips through the query string, leaving out the default state', () => {
    const query = { topic: 'inventory_lots', errorText: 'boom', from: new Date('2026-03-01T10:00:00Z'), state: 'superseded' as const };
    const qs = deadLetterQueryString(query);
    expect(qs).toBe('topic=inventory_lots&errorText=boom&from=2026-03-01T10%3A00%3A00.000Z&state=superseded');
    expect(parse(qs)).toEqual(query);
    expect(deadLetterQueryString({ state: 'pending', subProcessor: 'decode' })).toBe('subProcessor=decode');
  });

  it('a bad shared link falls back to the default view and says why', () => {
    expect(safeParseDeadLetterQuery(new URLSearchParams('state=nope'))).toEqual({
      query: { state: 'pending' },
      error: expect.stringContaining('state must be one of') as string,
    });
  });

  it('the bulk-replay body carries the filter but not the state (a bulk replay only takes pending entries)', () => {
    expect(filterBody({ state: 'all', subProcessor: 'x', to: new Date('2026-01-01T00:00:00Z') })).toEqual({ subProcessor: 'x', to: '2026-01-01T00:00:00.000Z' });
  });

  it('pages: cursor must be an id, limit 1–200 (default 50)', () => {
    expect(deadLetterListSchema.parse({})).toEqual({ limit: 50 });
    expect(deadLetterListSchema.parse({ cursor: '123', limit: '10' })).toEqual({ cursor: '123', limit: 10 });
    expect(() => deadLetterListSchema.parse({ cursor: 'abc' })).toThrow(/cursor must be a value returned as nextCursor/);
    expect(() => deadLetterListSchema.parse({ limit: '500' })).toThrow(/limit must be at most 200/);
  });
});
