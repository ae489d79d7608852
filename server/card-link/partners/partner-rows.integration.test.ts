import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { db } from '../../db/client.ts';
import { chase } from './chase.ts';
import type { PartnerIntegration } from './partner.ts';
import { registerPartnerRows } from './partner-rows.ts';
import { createPartnerRegistry } from './registry.ts';

const partnerId = `it-bank-${randomUUID().slice(0, 8)}`;
const bank = (version: string): PartnerIntegration => ({ ...chase.live, partnerId, name: 'Integration Bank', version, matches: () => false });

afterAll(async () => {
  await db().partner.deleteMany({ where: { partnerId } });
});

describe('registerPartnerRows', () => {
  it('gives a newly registered partner its row at its live version, and keeps the versions an admin chose', async () => {
    const registry = createPartnerRegistry([{ live: bank('1'), versions: [bank('2')] }]);
    expect(await registerPartnerRows(db(), registry)).toEqual([partnerId]);
    expect(await db().partner.findUnique({ where: { partnerId } })).toMatchObject({ name: 'Integration Bank', liveVersion: '1', candidateVersion: null, active: true });

    await db().partner.update({ where: { partnerId }, data: { liveVersion: '2', candidateVersion: '1' } });
    expect(await registerPartnerRows(db(), registry)).toEqual([]);
    expect(await db().partner.findUnique({ where: { partnerId } })).toMatchObject({ liveVersion: '2', candidateVersion: '1' });
  });
});
