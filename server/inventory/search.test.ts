import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { decodeCursor, encodeCursor, escapeLike, InvalidCursorError, parseSearchParams, searchSql, SEARCH_MAX_PAGE_SIZE } from './search.ts';

const params = (query: string) => parseSearchParams(new URLSearchParams(query));

describe('parseSearchParams', () => {
  it('defaults to the first page of every row', () => {
    expect(params('')).toEqual({ store: undefined, sku: undefined, q: undefined, cursor: undefined, limit: 25 });
  });

  it('trims, treats empty parameters as no filter, and upper-cases the SKU prefix', () => {
    expect(params('store=%20SF-001%20&sku=prd-ban&q=%20banana%20&limit=10')).toMatchObject({ store: 'SF-001', sku: 'PRD-BAN', q: 'banana', limit: 10 });
    expect(params('store=&sku=%20&q=')).toMatchObject({ store: undefined, sku: undefined, q: undefined });
  });

  it.each([
    ['limit=0', 'limit must be at least 1'],
    [`limit=${SEARCH_MAX_PAGE_SIZE + 1}`, `limit is at most ${SEARCH_MAX_PAGE_SIZE}`],
    ['limit=2.5', 'limit must be a whole number'],
    ['limit=lots', 'limit must be a number'],
    [`q=${'x'.repeat(101)}`, 'item name is limited to 100 characters'],
    ['cursor=not-a-cursor', 'The page cursor is not valid'],
  ])('refuses %s with a clear message', (query, message) => {
    const error = (() => {
      try {
        params(query);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ZodError);
    expect((error as ZodError).issues[0]?.message).toContain(message);
  });

  it('takes storeId as another name for store', () => {
    expect(params('storeId=NY-101').store).toBe('NY-101');
  });

  it('decodes the cursor it was given', () => {
    const cursor = encodeCursor({ storeId: 'NY-101', sku: 'DRY-EGGS-12' });
    expect(params(`cursor=${cursor}`).cursor).toEqual({ storeId: 'NY-101', sku: 'DRY-EGGS-12' });
  });
});

describe('cursors', () => {
  it('round-trip, URL-safe', () => {
    const cursor = encodeCursor({ storeId: 'SF/001+?', sku: 'ÄPFEL "1"' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual({ storeId: 'SF/001+?', sku: 'ÄPFEL "1"' });
  });

  it.each([
    ['not base64 JSON', 'a'],
    ['a JSON object', Buffer.from('{"storeId":"A","sku":"B"}').toString('base64url')],
    ['a pair with an empty part', Buffer.from('["","B"]').toString('base64url')],
    ['three parts', Buffer.from('["A","B","C"]').toString('base64url')],
  ])('refuse %s', (_, text) => {
    expect(() => decodeCursor(text)).toThrow(InvalidCursorError);
  });
});

describe('searchSql', () => {
  it('only adds the filters given, and fetches one row more than the page to know if there is another', () => {
    const sql = searchSql(params('store=SF-001&limit=10'));
    expect(sql.sql).toContain('l.store_id = ?');
    expect(sql.sql).not.toContain('LIKE');
    expect(sql.values).toEqual(['SF-001', 11]);
  });

  it('continues strictly after the cursor in (store, SKU) order', () => {
    const sql = searchSql(params(`cursor=${encodeCursor({ storeId: 'SF-001', sku: 'PRD-Z' })}`));
    expect(sql.sql).toContain('(l.store_id, l.sku) > (?, ?)');
    expect(sql.sql).toContain('ORDER BY l.store_id, l.sku');
    expect(sql.values).toEqual(['SF-001', 'PRD-Z', 26]);
  });

  it('matches the SKU as a prefix and the name anywhere, with wildcards in the input taken literally', () => {
    const sql = searchSql(params('sku=PRD_%25&q=50%25%20off'));
    expect(sql.values).toEqual(['PRD\\_\\%%', '%50\\% off%', 26]);
  });
});

describe('escapeLike', () => {
  it('escapes %, _ and the escape character', () => {
    expect(escapeLike('a%b_c\\d')).toBe('a\\%b\\_c\\\\d');
  });
});
