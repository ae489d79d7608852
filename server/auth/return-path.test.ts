import { describe, expect, it } from 'vitest';
import { safeReturnPath } from './return-path.ts';

describe('safeReturnPath', () => {
  it.each([
    '/',
    '/inventory',
    '/enrollments?customerId=cus_1&x=%2F',
    '/audit?action=auth.sign_in#top',
    '/dead-letters/42',
  ])('keeps the same-site path %s', (path) => {
    expect(safeReturnPath(path)).toBe(path);
  });

  it.each([
    ['absolute URL', 'https://evil.example/'],
    ['scheme-relative', '//evil.example'],
    ['scheme-relative with path', '//evil.example/inventory'],
    ['triple slash', '///evil.example'],
    ['backslash', '/\\evil.example'],
    ['encoded backslash', '/%5Cevil.example'],
    ['encoded backslash, lower case', '/%5cevil.example'],
    ['encoded slash after slash', '/%2Fevil.example'],
    ['backslash later in the path', '/inventory\\..\\evil'],
    ['tab inside the scheme-relative prefix', '/\t/evil.example'],
    ['encoded tab', '/%09/evil.example'],
    ['newline', '/\nevil'],
    ['encoded newline', '/inventory%0d%0aSet-Cookie:x=1'],
    ['NUL', '/\u0000'],
    ['DEL', '/\u007f'],
    ['javascript: scheme', 'javascript:alert(1)'],
    ['data: scheme', 'data:text/html,hi'],
    ['no leading slash', 'evil.example'],
    ['empty', ''],
    ['malformed percent-encoding', '/%E0%A4%A'],
    ['the login page (a loop)', '/login'],
    ['the login page with a query', '/login?callbackUrl=/x'],
    ['over 2048 characters', `/${'a'.repeat(2048)}`],
  ])('turns %s into /', (_what, path) => {
    expect(safeReturnPath(path)).toBe('/');
  });

  it('turns a non-string into /', () => {
    expect(safeReturnPath(null)).toBe('/');
    expect(safeReturnPath(['/inventory'])).toBe('/');
  });

  it('normalises dot segments, staying on the site', () => {
    expect(safeReturnPath('/inventory/../audit')).toBe('/audit');
    expect(safeReturnPath('/../../etc')).toBe('/etc');
  });
});
