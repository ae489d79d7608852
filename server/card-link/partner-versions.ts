import type { Actor } from '../auth/actor.ts';
import { recordAudit } from '../audit/audit-row.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { ActionNotAllowedError } from './enrollments.ts';
import { partnerRegistry, type PartnerRegistry } from './partners/registry.ts';
import { partnerIdSchema, partnerVersionChangeSchema } from './requests.ts';

/**
 * An admin puts a partner's integration version into shadow mode, stops it, or promotes the version in shadow
 * to live (the old live version stops deciding; nothing runs in shadow after). Each change and the audit row
 * commit together. Only versions this build implements can be chosen, so a worker never meets a version it
 * lacks because of the console.
 */
export const PARTNER_SHADOW_ACTION = 'card_link.partner_shadow';
export const PARTNER_PROMOTE_ACTION = 'card_link.partner_promote';

const ADMINS: readonly Actor['role'][] = ['admin'];

/** 404. */
export class PartnerNotFoundError extends Error {
  override name = 'PartnerNotFoundError';
}

/** 409: the change does not apply to the partner as it is now (nothing in shadow to promote, the live version…). */
export class PartnerVersionConflictError extends Error {
  override name = 'PartnerVersionConflictError';
}

/** 422: a version this build has no implementation of. */
export class UnknownVersionError extends Error {
  override name = 'UnknownVersionError';
}

export interface PartnerVersions {
  partnerId: string;
  name: string;
  liveVersion: string;
  candidateVersion: string | null;
  /** Versions this build implements, for the console's picker. */
  available: string[];
}

/** `GET /api/partners`. */
export interface PartnerVersionsResponse {
  partners: PartnerVersions[];
}

/** `POST /api/partners/<partnerId>/versions`: the partner as it is after the change. */
export interface PartnerVersionChangeResponse {
  partner: PartnerVersions;
}

type Db = Pick<PrismaClient, 'partner' | '$transaction'>;

export async function listPartnerVersions(db: Pick<PrismaClient, 'partner'>, registry: PartnerRegistry = partnerRegistry): Promise<PartnerVersions[]> {
  const rows = await db.partner.findMany({ orderBy: { name: 'asc' }, select: { partnerId: true, name: true, liveVersion: true, candidateVersion: true } });
  return rows.map((row) => ({ ...row, available: Object.keys(registry.get(row.partnerId)?.versions ?? {}).sort() }));
}

export async function changePartnerVersion(
  db: Db,
  partnerId: string,
  /** A PartnerVersionChange (server/card-link/requests.ts), validated here after the role check (a non-admin learns nothing from a 422). */
  change: unknown,
  actor: Actor,
  registry: PartnerRegistry = partnerRegistry,
): Promise<PartnerVersions> {
  if (!ADMINS.includes(actor.role)) throw new ActionNotAllowedError(`role ${actor.role} may not change a partner's versions (admin only)`);
  const id = partnerIdSchema.parse(partnerId);
  const parsed = partnerVersionChangeSchema.parse(change);
  const available = Object.keys(registry.get(id)?.versions ?? {}).sort();

  return db.$transaction(async (tx) => {
    // FOR UPDATE: two admins changing the same partner at once apply one after the other, each audited as applied.
    const [row] = await tx.$queryRaw<{ live_version: string; candidate_version: string | null; name: string }[]>`
      SELECT live_version, candidate_version, name FROM partners WHERE partner_id = ${id} FOR UPDATE`;
    if (!row) throw new PartnerNotFoundError(`no partner ${id}`);
    const before = { liveVersion: row.live_version, candidateVersion: row.candidate_version };
    let after: { liveVersion: string; candidateVersion: string | null };
    switch (parsed.action) {
      case 'shadow':
        if (!available.includes(parsed.version)) throw new UnknownVersionError(`this build has no implementation of ${id} version ${parsed.version} (it has ${available.join(', ') || 'none'})`);
        if (parsed.version === before.liveVersion) throw new PartnerVersionConflictError(`${id} version ${parsed.version} is already live`);
        after = { liveVersion: before.liveVersion, candidateVersion: parsed.version };
        break;
      case 'stop_shadow':
        if (before.candidateVersion === null) throw new PartnerVersionConflictError(`${id} has no version in shadow mode`);
        after = { liveVersion: before.liveVersion, candidateVersion: null };
        break;
      case 'promote':
        if (before.candidateVersion === null) throw new PartnerVersionConflictError(`${id} has no version in shadow mode to promote`);
        if (!available.includes(before.candidateVersion)) throw new UnknownVersionError(`this build has no implementation of ${id} version ${before.candidateVersion}`);
        after = { liveVersion: before.candidateVersion, candidateVersion: null };
        break;
    }
    await tx.partner.update({ where: { partnerId: id }, data: after });
    await recordAudit(tx, {
      actor,
      action: parsed.action === 'promote' ? PARTNER_PROMOTE_ACTION : PARTNER_SHADOW_ACTION,
      target: `partner:${id}`,
      reason: parsed.reason,
      details: { change: parsed.action, before, after },
    });
    return { partnerId: id, name: row.name, ...after, available };
  });
}
