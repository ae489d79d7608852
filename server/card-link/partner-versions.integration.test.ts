import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { ActionNotAllowedError } from './enrollments.ts';
import {
  changePartnerVersion,
  listPartnerVersions,
  PARTNER_PROMOTE_ACTION,
  PARTNER_SHADOW_ACTION,
  PartnerNotFoundError,
  PartnerVersionConflictError,
  UnknownVersionError,
} from './partner-versions.ts';
import { chaseV1, chaseV2 } from './partners/chase.ts';
import { createPartnerRegistry } from './partners/registry.ts';

/** A partner row of this test alone, implemented (in this test's registry) in versions 1 and 2. */
const partnerId = `pv-${randomUUID().slice(0, 8)}`;
const v1 = { ...chaseV1, partnerId };
const registry = createPartnerRegistry([{ live: v1, versions: [v1, { ...chaseV2, partnerId }] }]);
const admin = { id: `admin-${randomUUID().slice(0, 8)}`, role: 'admin' as const };

beforeAll(async () => {
  await db().partner.create({ data: { partnerId, name: 'Versions Test', liveVersion: '1' } });
});
afterAll(async () => {
  await db().partner.delete({ where: { partnerId } });
});

describe('changePartnerVersion', () => {
  it('puts a version into shadow, promotes it, each change audited with before and after', async () => {
    expect(await changePartnerVersion(db(), partnerId, { action: 'shadow', version: '2', reason: 'try the 2026 terms' }, admin, registry)).toMatchObject({
      liveVersion: '1',
      candidateVersion: '2',
      available: ['1', '2'],
    });
    expect(await db().partner.findUniqueOrThrow({ where: { partnerId } })).toMatchObject({ liveVersion: '1', candidateVersion: '2' });

    await changePartnerVersion(db(), partnerId, { action: 'promote', reason: 'no mismatches for a week' }, admin, registry);
    expect(await db().partner.findUniqueOrThrow({ where: { partnerId } })).toMatchObject({ liveVersion: '2', candidateVersion: null });

    const audit = await db().auditLog.findMany({ where: { actor: admin.id }, orderBy: { id: 'asc' } });
    expect(audit).toMatchObject([
      { action: PARTNER_SHADOW_ACTION, target: `partner:${partnerId}`, reason: 'try the 2026 terms', details: { change: 'shadow', before: { liveVersion: '1', candidateVersion: null }, after: { liveVersion: '1', candidateVersion: '2' } } },
      { action: PARTNER_PROMOTE_ACTION, target: `partner:${partnerId}`, reason: 'no mismatches for a week', details: { before: { candidateVersion: '2' }, after: { liveVersion: '2', candidateVersion: null } } },
    ]);
  });

  it('refuses non-admins before validating anything, and changes that do not apply, auditing none of them', async () => {
    const support = { id: `support-${randomUUID().slice(0, 8)}`, role: 'support' as const };
    await expect(changePartnerVersion(db(), partnerId, { action: 'nonsense' }, support, registry)).rejects.toBeInstanceOf(ActionNotAllowedError);
    await expect(changePartnerVersion(db(), partnerId, { action: 'shadow', version: '9', reason: 'typo' }, admin, registry)).rejects.toBeInstanceOf(UnknownVersionError);
    await expect(changePartnerVersion(db(), partnerId, { action: 'promote', reason: 'nothing in shadow' }, admin, registry)).rejects.toBeInstanceOf(PartnerVersionConflictError);
    await expect(changePartnerVersion(db(), partnerId, { action: 'stop_shadow', reason: 'nothing in shadow' }, admin, registry)).rejects.toBeInstanceOf(PartnerVersionConflictError);
    await expect(changePartnerVersion(db(), 'no-such-partner', { action: 'stop_shadow', reason: 'x y z' }, admin, registry)).rejects.toBeInstanceOf(PartnerNotFoundError);
    await expect(changePartnerVersion(db(), partnerId, { action: 'stop_shadow', reason: '' }, admin, registry)).rejects.toThrow(/reason/);
    expect(await db().auditLog.count({ where: { actor: support.id } })).toBe(0);
    expect(await db().auditLog.count({ where: { actor: admin.id } })).toBe(2);
  });

  it('lists partners with the versions this build implements', async () => {
    const listed = (await listPartnerVersions(db(), registry)).find((partner) => partner.partnerId === partnerId);
    expect(listed).toEqual({ partnerId, name: 'Versions Test', liveVersion: '2', candidateVersion: null, available: ['1', '2'] });
  });
});
