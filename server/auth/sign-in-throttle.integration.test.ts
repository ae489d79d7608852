import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { recordSecurityEvent, SECURITY_AUDIT_ACTIONS } from '../audit/security-events.ts';
import { db } from '../db/client.ts';
import { clientAddress, SIGN_IN_LIMITS, signInRefusal, signInRefusalMessage, signInTarget } from './sign-in-throttle.ts';

const prefix = `test-throttle-${randomUUID().slice(0, 8)}`;

async function attempt(outcome: 'failed' | 'succeeded', username: string, client: string) {
  await recordSecurityEvent(db(), {
    action: outcome === 'failed' ? SECURITY_AUDIT_ACTIONS.signInFailed : SECURITY_AUDIT_ACTIONS.signInSucceeded,
    actor: username,
    actorRole: 'anonymous',
    target: signInTarget(username),
    details: { username, client, method: 'password', outcome },
  });
}

afterAll(async () => {
  await db().auditLog.deleteMany({ where: { actor: { startsWith: prefix } } });
});

describe('sign-in rate limit (counted in Postgres)', () => {
  it(`refuses a username after ${SIGN_IN_LIMITS.perUsername} failures in 15 minutes, from any client, until they age out`, async () => {
    const username = `${prefix}-u1`;
    for (let i = 0; i < SIGN_IN_LIMITS.perUsername - 1; i += 1) await attempt('failed', username, `${prefix}-c${i}`);
    expect(await signInRefusal(db(), { username, client: `${prefix}-other` })).toBeNull();
    await attempt('failed', username, `${prefix}-c-last`);
    const refusal = await signInRefusal(db(), { username, client: `${prefix}-other` });
    expect(refusal).toEqual({ by: 'username', retryAfterMs: expect.any(Number) as number });
    expect(refusal!.retryAfterMs).toBeGreaterThan(14 * 60_000);
    expect(refusal!.retryAfterMs).toBeLessThanOrEqual(SIGN_IN_LIMITS.windowMs);
    expect(signInRefusalMessage(refusal!)).toBe('Too many failed sign-ins for this username; try again in 15 minutes.');
    // Sixteen minutes on, the failures are outside the window.
    expect(await signInRefusal(db(), { username, client: `${prefix}-other` }, new Date(Date.now() + 16 * 60_000))).toBeNull();
  });

  it('restarts a username count at its last successful sign-in', async () => {
    const username = `${prefix}-u2`;
    for (let i = 0; i < SIGN_IN_LIMITS.perUsername - 1; i += 1) await attempt('failed', username, `${prefix}-c`);
    await attempt('succeeded', username, `${prefix}-c`);
    await attempt('failed', username, `${prefix}-c`);
    expect(await signInRefusal(db(), { username, client: `${prefix}-c2` })).toBeNull();
  });

  it(`refuses a client after ${SIGN_IN_LIMITS.perClient} failures across usernames, even for a username with none`, async () => {
    const client = `${prefix}-busy-client`;
    for (let i = 0; i < SIGN_IN_LIMITS.perClient; i += 1) await attempt('failed', `${prefix}-spray-${i}`, client);
    expect(await signInRefusal(db(), { username: `${prefix}-fresh`, client })).toEqual({ by: 'client', retryAfterMs: expect.any(Number) as number });
    expect(await signInRefusal(db(), { username: `${prefix}-fresh`, client: `${prefix}-quiet-client` })).toBeNull();
  });

  it('takes the client from the right-most X-Forwarded-For hop (the one the nearest proxy added)', () => {
    expect(clientAddress(new Headers({ 'x-forwarded-for': '6.6.6.6, 10.0.0.7' }))).toBe('10.0.0.7');
    expect(clientAddress(new Headers({ 'x-forwarded-for': '::1' }))).toBe('::1');
    expect(clientAddress(new Headers())).toBe('unknown');
  });
});
