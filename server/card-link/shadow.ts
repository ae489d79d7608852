import type { PrismaClient } from '../db/generated/client.ts';

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
  createdAt: string;
}

/** The latest disagreements for one partner, newest first (limit clamped to 1-200). */
export async function recentMismatches(db: Db, partnerId: string, limit = 20): Promise<ShadowMismatch[]> {
  const rows = await db.shadowComparison.findMany({
    where: { partnerId, matched: false },
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
    createdAt: row.createdAt.toISOString(),
  }));
}
