import { describe, expect, it } from 'vitest';
import { serviceTokenRefusal } from './service-token.ts';

const token = 'a-service-token-of-some-length';

describe('serviceTokenRefusal', () => {
  it('admits the configured bearer token', () => {
    expect(serviceTokenRefusal(`Bearer ${token}`, token)).toBeNull();
    expect(serviceTokenRefusal(`bearer ${token}`, token)).toBeNull();
  });

  it('answers 401 to a missing, malformed or wrong token', () => {
    expect(serviceTokenRefusal(null, token)?.status).toBe(401);
    expect(serviceTokenRefusal(token, token)?.status).toBe(401);
    expect(serviceTokenRefusal('Bearer wrong-token', token)).toEqual({ status: 401, error: 'The service token is not valid.' });
    expect(serviceTokenRefusal(`Bearer ${token}x`, token)?.status).toBe(401);
  });

  it('refuses everything with 503 when no token is configured', () => {
    expect(serviceTokenRefusal(`Bearer ${token}`, undefined)?.status).toBe(503);
  });
});
