import { db } from '../../server/db/client.ts';

/** A BIN of each partner, with the country and network its cards carry: a stored card of that partner. */
export const TEST_PARTNER_CARDS = {
  chase: { bin: '414721', country: 'US', network: 'visa' },
  rbc: { bin: '450061', country: 'CA', network: 'visa' },
  afterpay: { bin: '535317', country: 'US', network: 'mastercard' },
} as const;

export type TestPartner = keyof typeof TEST_PARTNER_CARDS;

/** The `partners` rows (live version 1) the card-link foreign keys need; rows already there are left alone. */
export async function ensureTestPartners(): Promise<void> {
  await db().partner.createMany({
    data: [
      { partnerId: 'chase', name: 'Chase', liveVersion: '1' },
      { partnerId: 'rbc', name: 'RBC', liveVersion: '1' },
      { partnerId: 'afterpay', name: 'Afterpay', liveVersion: '1' },
    ],
    skipDuplicates: true,
  });
}
