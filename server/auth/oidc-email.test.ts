import { describe, expect, it } from 'vitest';
import { verifiedOidcEmail } from './oidc-email.ts';

describe('verifiedOidcEmail', () => {
  it('takes the email only when email_verified is the boolean true', () => {
    expect(verifiedOidcEmail({ email: ' Ada@Example.com ', email_verified: true })).toBe('ada@example.com');
  });

  it.each([
    ['missing', { email: 'ada@example.com' }],
    ['false', { email: 'ada@example.com', email_verified: false }],
    ['the string "true"', { email: 'ada@example.com', email_verified: 'true' }],
    ['the string "false"', { email: 'ada@example.com', email_verified: 'false' }],
    ['1', { email: 'ada@example.com', email_verified: 1 }],
    ['null', { email: 'ada@example.com', email_verified: null }],
  ])('refuses email_verified %s', (_what, profile) => {
    expect(verifiedOidcEmail(profile)).toBeNull();
  });

  it('refuses a profile without a usable email', () => {
    expect(verifiedOidcEmail(undefined)).toBeNull();
    expect(verifiedOidcEmail({ email_verified: true })).toBeNull();
    expect(verifiedOidcEmail({ email: ['ada@example.com'], email_verified: true })).toBeNull();
    expect(verifiedOidcEmail({ email: 'not-an-email', email_verified: true })).toBeNull();
  });
});
