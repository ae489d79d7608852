import { describe, expect, it } from 'vitest';
import { scrapeRefusal } from './scrape-token.ts';

describe('scrapeRefusal', () => {
  const token = 'a-metrics-token-of-some-length';
  it('serves nothing without a configured token, and only the right bearer token with one', () => {
    expect(scrapeRefusal(`Bearer ${token}`, undefined)?.status).toBe(404);
    expect(scrapeRefusal(null, token)?.status).toBe(401);
    expect(scrapeRefusal(`Basic ${token}`, token)?.status).toBe(401);
    expect(scrapeRefusal(`Bearer ${token}x`, token)?.status).toBe(401);
    expect(scrapeRefusal(`Bearer ${token}`, token)).toBeNull();
  });
});
