import { db } from '@/server/db/client.ts';

/** partnerId → display name, from the partners table (a handful of rows). */
export async function partnerNames(): Promise<Record<string, string>> {
  const partners = await db().partner.findMany({ select: { partnerId: true, name: true } });
  return Object.fromEntries(partners.map((partner) => [partner.partnerId, partner.name]));
}
