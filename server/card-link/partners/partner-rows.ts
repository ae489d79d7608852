import type { PrismaClient } from '../../db/generated/client.ts';
import { partnerRegistry, type PartnerRegistry } from './registry.ts';

/**
 * The `partners` rows come from the registry: a partner is its module plus one registry line, with no database step.
 * A registered partner without a row gets one (live = its module's live version, no candidate); an existing row is
 * left alone, since admins choose its live and candidate versions from the console.
 */
export async function registerPartnerRows(db: Pick<PrismaClient, '$queryRaw'>, registry: PartnerRegistry = partnerRegistry): Promise<string[]> {
  const lives = registry.partnerIds.map((partnerId) => registry.get(partnerId)!.live);
  if (lives.length === 0) return [];
  const created = await db.$queryRaw<{ partner_id: string }[]>`
    INSERT INTO partners (partner_id, name, live_version)
    SELECT * FROM unnest(${lives.map((live) => live.partnerId)}::text[], ${lives.map((live) => live.name)}::text[], ${lives.map((live) => live.version)}::text[])
    ON CONFLICT (partner_id) DO NOTHING
    RETURNING partner_id`;
  return created.map((row) => row.partner_id);
}
