import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../db/generated/client.ts';
import { cardLinkWorkflowId, parseCardLinkWorkflowId } from '../temporal/contract.ts';
import { getEnrollment, isReconciliationPending, listEnrollments, manualResolutions, type Enrollment, type ManualResolutionRecord, type resolveMultiMatchByHand } from './enrollments.ts';
import { linkOfWorkflow, unlinkRecords, type UnlinkRecord } from './unlink-card.ts';

/**
 * What the console's enrollment routes answer (`GET /api/enrollments`, `GET /api/enrollments/<workflowId>`,
 * `POST …/resolve`): one type per answer, built here; the routes return them and the pages read them.
 */

type Db = Pick<PrismaClient, 'partner' | 'paymentMethod' | 'auditLog' | 'membershipLink'>;

/** partnerId → display name, from the partners table (a handful of rows). */
export async function partnerNames(db: Pick<PrismaClient, 'partner'>): Promise<Record<string, string>> {
  const partners = await db.partner.findMany({ select: { partnerId: true, name: true } });
  return Object.fromEntries(partners.map((partner) => [partner.partnerId, partner.name]));
}

/** `GET /api/enrollments?customerId=`: a customer's card links, newest first. */
export interface EnrollmentSearchResponse {
  customerId: string;
  partners: Record<string, string>;
  enrollments: Enrollment[];
}

export async function searchEnrollments(deps: { db: Db; temporal: Client }, customerId: string): Promise<EnrollmentSearchResponse> {
  const [enrollments, partners] = await Promise.all([listEnrollments(deps.temporal, customerId), partnerNames(deps.db)]);
  return { customerId, partners, enrollments };
}

/** The membership link an enrollment created, with its latest subscription (dates as ISO strings). */
export interface LinkSummary {
  linkId: string;
  status: string;
  endedReason: string | null;
  subscription: { status: string; startsAt: string; endsAt: string | null; endedAt: string | null; endedReason: string | null } | null;
}

/** `GET /api/enrollments/<workflowId>`: one enrollment with what the detail page shows beside it. */
export interface EnrollmentDetailResponse {
  enrollment: Enrollment;
  resolutions: ManualResolutionRecord[];
  partners: Record<string, string>;
  /** A multi-match waits for an answer: support may resolve it by hand. */
  canResolve: boolean;
  link: LinkSummary | null;
  unlinks: UnlinkRecord[];
  /** The card's latest evaluation, the only one a re-check may supersede; null when the card is not on record. */
  latestEvaluation: string | null;
}

/** The card's latest evaluation (the one a re-check would supersede), or null when the card is not on record. */
async function latestEvaluation(db: Pick<PrismaClient, 'paymentMethod'>, workflowId: string): Promise<string | null> {
  const parsed = parseCardLinkWorkflowId(workflowId);
  if (!parsed) return null;
  const card = await db.paymentMethod.findUnique({
    where: { customerId_fingerprint: { customerId: parsed.customerId, fingerprint: parsed.fingerprint } },
    select: { linkGeneration: true },
  });
  return card ? cardLinkWorkflowId(parsed.customerId, parsed.fingerprint, card.linkGeneration) : null;
}

async function linkSummary(db: Pick<PrismaClient, 'membershipLink'>, workflowId: string): Promise<LinkSummary | null> {
  const link = await linkOfWorkflow(db, workflowId);
  if (!link) return null;
  const subscription = link.subscriptions[0];
  return {
    linkId: link.linkId,
    status: link.status,
    endedReason: link.endedReason,
    subscription: subscription
      ? {
          status: subscription.status,
          startsAt: subscription.startsAt.toISOString(),
          endsAt: subscription.endsAt?.toISOString() ?? null,
          endedAt: subscription.endedAt?.toISOString() ?? null,
          endedReason: subscription.endedReason,
        }
      : null,
  };
}

export async function enrollmentDetail(deps: { db: Db; temporal: Client }, workflowId: string): Promise<EnrollmentDetailResponse> {
  const [enrollment, resolutions, partners, link, unlinks, latest] = await Promise.all([
    getEnrollment(deps.temporal, workflowId),
    manualResolutions(deps.db, workflowId),
    partnerNames(deps.db),
    linkSummary(deps.db, workflowId),
    unlinkRecords(deps.db, workflowId),
    latestEvaluation(deps.db, workflowId),
  ]);
  return { enrollment, resolutions, partners, canResolve: isReconciliationPending(enrollment), link, unlinks, latestEvaluation: latest };
}

/** `POST /api/enrollments/<workflowId>/resolve`. */
export type ResolveResponse = { workflowId: string } & Awaited<ReturnType<typeof resolveMultiMatchByHand>>;
