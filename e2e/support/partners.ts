import { withDb } from './db.ts';

export interface PartnerVersions {
  live_version: string;
  candidate_version: string | null;
}

export async function readPartnerVersions(partnerId: string): Promise<PartnerVersions> {
  return withDb(async (client) => {
    const { rows } = await client.query<PartnerVersions>('SELECT live_version, candidate_version FROM partners WHERE partner_id = $1', [partnerId]);
    const row = rows[0];
    if (!row) throw new Error(`no partners row for ${partnerId}`);
    return row;
  });
}

export async function writePartnerVersions(partnerId: string, { live_version, candidate_version }: PartnerVersions): Promise<void> {
  await withDb((client) => client.query('UPDATE partners SET live_version = $1, candidate_version = $2 WHERE partner_id = $3', [live_version, candidate_version, partnerId]));
}
