import type { PrismaClient } from '../db/generated/client.ts';
import type { ShadowWindow } from './requests.ts';
import { MISMATCH_KINDS, type MismatchKind, type ShadowLink } from './shadow-link.ts';

type Db = Pick<PrismaClient, 'shadowComparison'>;

export interface PartnerMismatchRate {
  partnerId: string;
  comparisons: number;
  mismatches: number;
  /** mismatches / comparisons, 0 when there were none. */
  rate: number;
}

/** How often each partner's candidate integration version disagreed with the live one. */
export async function mismatchRates(db: Db, { since }: { since?: Date } = {}): Promise<PartnerMismatchRate[]> {
  const groups = await db.shadowComparison.groupBy({
    by: ['partnerId', 'matched'],
    where: since ? { createdAt: { gte: since } } : {},
    _count: { _all: true },
  });
  const byPartner = new Map<string, PartnerMismatchRate>();
  for (const group of groups) {
    const entry = byPartner.get(group.partnerId) ?? { partnerId: group.partnerId, comparisons: 0, mismatches: 0, rate: 0 };
    entry.comparisons += group._count._all;
    if (!group.matched) entry.mismatches += group._count._all;
    byPartner.set(group.partnerId, entry);
  }
  return [...byPartner.values()]
    .map((entry) => ({ ...entry, rate: entry.comparisons === 0 ? 0 : entry.mismatches / entry.comparisons }))
    .sort((a, b) => a.partnerId.localeCompare(b.partnerId));
}

export interface ShadowMismatch {
  id: string;
  partnerId: string;
  liveVersion: string;
  candidateVersion: string;
  customerId: string;
  workflowId: string;
  liveDecision: unknown;
  candidateDecision: unknown;
  /** What differed; empty on comparisons recorded before links were compared (decision only). */
  mismatchKinds: MismatchKind[];
  /** The live link and the candidate's dry one; null on comparisons from before links were compared. */
  liveLink: ShadowLink | null;
  candidateLink: ShadowLink | null;
  createdAt: string;
}

/** The latest disagreements for one partner (optionally one live/candidate version pair), newest first (limit clamped to 1-200). */
export async function recentMismatches(
  db: Db,
  partnerId: string,
  limit = 20,
  versions: { liveVersion?: string; candidateVersion?: string } = {},
): Promise<ShadowMismatch[]> {
  const rows = await db.shadowComparison.findMany({
    where: {
      partnerId,
      matched: false,
      ...(versions.liveVersion === undefined ? {} : { liveVersion: versions.liveVersion }),
      ...(versions.candidateVersion === undefined ? {} : { candidateVersion: versions.candidateVersion }),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(Math.max(Math.trunc(limit) || 1, 1), 200),
  });
  return rows.map((row) => ({
    id: row.id.toString(),
    partnerId: row.partnerId,
    liveVersion: row.liveVersion,
    candidateVersion: row.candidateVersion,
    customerId: row.customerId,
    workflowId: row.workflowId,
    liveDecision: row.liveDecision,
    candidateDecision: row.candidateDecision,
    mismatchKinds: row.mismatchKinds.filter((kind): kind is MismatchKind => (MISMATCH_KINDS as readonly string[]).includes(kind)),
    liveLink: row.liveLink as ShadowLink | null,
    candidateLink: row.candidateLink as ShadowLink | null,
    createdAt: row.createdAt.toISOString(),
  }));
}

// ─── Per version pair, for the console ─────────────────────────────────────────────────────────────────

export interface ShadowVersionRate extends PartnerMismatchRate {
  liveVersion: string;
  candidateVersion: string;
  lastComparedAt: string | null;
  /** This pair is the partner's configuration now (live version and the candidate in shadow mode). */
  current: boolean;
  /** Mismatches by kind (a comparison may count under several). */
  kinds: Partial<Record<MismatchKind, number>>;
}

export interface PartnerShadowStatus {
  partnerId: string;
  name: string;
  liveVersion: string | null;
  /** The version running in shadow mode now, or null. */
  candidateVersion: string | null;
  /** Comparisons per (live, candidate) pair: the current pair first (even with none yet), then the latest compared. */
  versions: ShadowVersionRate[];
}

/** `GET /api/enrollments/shadow?window=`. */
export interface ShadowResponse {
  window: ShadowWindow;
  partners: PartnerShadowStatus[];
}

/** `GET /api/enrollments/shadow/mismatches`. */
export interface MismatchesResponse {
  mismatches: ShadowMismatch[];
}

export interface ShadowCountGroup {
  partnerId: string;
  liveVersion: string;
  candidateVersion: string;
  matched: boolean;
  count: number;
  lastAt: Date | null;
}

export interface ShadowKindGroup {
  partnerId: string;
  liveVersion: string;
  candidateVersion: string;
  kind: string;
  count: number;
}

export interface PartnerConfig {
  partnerId: string;
  name: string;
  liveVersion: string;
  candidateVersion: string | null;
}

/** Pure: partners and comparison counts → one status per partner (partners that only appear in comparisons too). */
export function summarizeShadow(
  partners: readonly PartnerConfig[],
  groups: readonly ShadowCountGroup[],
  kindGroups: readonly ShadowKindGroup[] = [],
): PartnerShadowStatus[] {
  const statuses = new Map<string, PartnerShadowStatus>();
  for (const partner of partners) {
    statuses.set(partner.partnerId, { ...partner, versions: [] });
  }
  const pairs = new Map<string, ShadowVersionRate>();
  for (const group of groups) {
    const key = JSON.stringify([group.partnerId, group.liveVersion, group.candidateVersion]);
    const pair = pairs.get(key) ?? {
      partnerId: group.partnerId,
      liveVersion: group.liveVersion,
      candidateVersion: group.candidateVersion,
      comparisons: 0,
      mismatches: 0,
      rate: 0,
      lastComparedAt: null,
      current: false,
      kinds: {},
    };
    pair.comparisons += group.count;
    if (!group.matched) pair.mismatches += group.count;
    const last = group.lastAt?.toISOString() ?? null;
    if (last && (!pair.lastComparedAt || last > pair.lastComparedAt)) pair.lastComparedAt = last;
    pairs.set(key, pair);
  }
  for (const group of kindGroups) {
    const pair = pairs.get(JSON.stringify([group.partnerId, group.liveVersion, group.candidateVersion]));
    if (!pair || !(MISMATCH_KINDS as readonly string[]).includes(group.kind)) continue;
    const kind = group.kind as MismatchKind;
    pair.kinds[kind] = (pair.kinds[kind] ?? 0) + group.count;
  }
  for (const pair of pairs.values()) {
    pair.rate = pair.comparisons === 0 ? 0 : pair.mismatches / pair.comparisons;
    const status = statuses.get(pair.partnerId) ?? { partnerId: pair.partnerId, name: pair.partnerId, liveVersion: null, candidateVersion: null, versions: [] };
    pair.current = status.liveVersion === pair.liveVersion && status.candidateVersion === pair.candidateVersion;
    status.versions.push(pair);
    statuses.set(pair.partnerId, status);
  }
  for (const status of statuses.values()) {
    if (status.liveVersion !== null && status.candidateVersion !== null && !status.versions.some((pair) => pair.current)) {
      status.versions.push({
        partnerId: status.partnerId,
        liveVersion: status.liveVersion,
        candidateVersion: status.candidateVersion,
        comparisons: 0,
        mismatches: 0,
        rate: 0,
        lastComparedAt: null,
        current: true,
        kinds: {},
      });
    }
    status.versions.sort(
      (a, b) => Number(b.current) - Number(a.current) || (b.lastComparedAt ?? '').localeCompare(a.lastComparedAt ?? '') || b.candidateVersion.localeCompare(a.candidateVersion),
    );
  }
  return [...statuses.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Every partner's shadow mode: what runs now, and mismatch rates per version pair compared (since `since`). */
export async function shadowOverview(
  db: Pick<PrismaClient, 'shadowComparison' | 'partner' | '$queryRaw'>,
  { since }: { since?: Date } = {},
): Promise<PartnerShadowStatus[]> {
  const [partners, groups, kindGroups] = await Promise.all([
    db.partner.findMany({ select: { partnerId: true, name: true, liveVersion: true, candidateVersion: true } }),
    db.shadowComparison.groupBy({
      by: ['partnerId', 'liveVersion', 'candidateVersion', 'matched'],
      where: since ? { createdAt: { gte: since } } : {},
      _count: { _all: true },
      _max: { createdAt: true },
    }),
    db.$queryRaw<{ partner_id: string; live_version: string; candidate_version: string; kind: string; count: number }[]>`
      SELECT partner_id, live_version, candidate_version, kind, count(*)::int AS count
        FROM shadow_comparisons, unnest(mismatch_kinds) AS kind
       WHERE NOT matched AND created_at >= ${since ?? new Date(0)}
       GROUP BY partner_id, live_version, candidate_version, kind`,
  ]);
  return summarizeShadow(
    partners,
    groups.map((group) => ({
      partnerId: group.partnerId,
      liveVersion: group.liveVersion,
      candidateVersion: group.candidateVersion,
      matched: group.matched,
      count: group._count._all,
      lastAt: group._max.createdAt,
    })),
    kindGroups.map((group) => ({
      partnerId: group.partner_id,
      liveVersion: group.live_version,
      candidateVersion: group.candidate_version,
      kind: group.kind,
      count: group.count,
    })),
  );
}
