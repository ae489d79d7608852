import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { refreshSessionClaims, SESSION_RECHECK_MS } from './session-claims.ts';

const username = `test-session-${randomUUID().slice(0, 8)}`;
const issuedAt = Date.now();
const claims = { username, name: 'Session Tester', role: 'support' as const, checkedAt: issuedAt };

beforeAll(async () => {
  await db().user.create({ data: { userId: `user_${username}`, username, displayName: 'Session Tester', role: 'support' } });
});

afterAll(async () => {
  await db().user.deleteMany({ where: { username } });
});

describe('session claims re-read from the users row', () => {
  it('keeps the claims without a read inside the minute, re-reads them after', async () => {
    await db().user.update({ where: { username }, data: { role: 'admin', displayName: 'Renamed Tester' } });
    expect(await refreshSessionClaims(db(), claims, issuedAt + SESSION_RECHECK_MS - 1)).toBe(claims);
    expect(await refreshSessionClaims(db(), claims, issuedAt + SESSION_RECHECK_MS)).toEqual({
      username,
      name: 'Renamed Tester',
      role: 'admin',
      checkedAt: issuedAt + SESSION_RECHECK_MS,
    });
  });

  it('ends the session of a disabled or deleted user at the next check', async () => {
    await db().user.update({ where: { username }, data: { disabled: true } });
    expect(await refreshSessionClaims(db(), claims, issuedAt + SESSION_RECHECK_MS)).toBeNull();
    expect(await refreshSessionClaims(db(), { ...claims, username: `${username}-gone` }, issuedAt + SESSION_RECHECK_MS)).toBeNull();
  });

  it('checks at once a session without a check time, or one stamped in the future', async () => {
    await db().user.update({ where: { username }, data: { disabled: false, role: 'engineer' } });
    const { checkedAt: _omitted, ...unstamped } = claims;
    expect(await refreshSessionClaims(db(), unstamped, issuedAt)).toMatchObject({ role: 'engineer', checkedAt: issuedAt });
    expect(await refreshSessionClaims(db(), { ...claims, checkedAt: issuedAt + 3_600_000 }, issuedAt)).toMatchObject({ role: 'engineer' });
  });
});
