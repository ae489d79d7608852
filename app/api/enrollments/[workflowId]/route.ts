import { cardLinkWorkflowId, parseCardLinkWorkflowId } from '@/server/temporal/contract.ts';
import { EnrollmentNotFoundError, getEnrollment, InvalidEnrollmentQueryError, isReconciliationPending, manualResolutions } from '@/server/card-link/enrollments.ts';
import { linkOfWorkflow, unlinkRecords } from '@/server/card-link/unlink-card.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { temporal } from '@/server/temporal/client.ts';
import { partnerNames } from '../partner-names.ts';
import { workflowIdParam } from '../schemas.ts';
import { withTemporal } from '../temporal-errors.ts';

export const dynamic = 'force-dynamic';

/** The card's latest evaluation (the one a re-check would supersede), or null when the card is not on record. */
async function latestEvaluation(workflowId: string): Promise<string | null> {
  const parsed = parseCardLinkWorkflowId(workflowId);
  if (!parsed) return null;
  const card = await db().paymentMethod.findUnique({
    where: { customerId_fingerprint: { customerId: parsed.customerId, fingerprint: parsed.fingerprint } },
    select: { linkGeneration: true },
  });
  return card ? cardLinkWorkflowId(parsed.customerId, parsed.fingerprint, card.linkGeneration) : null;
}

/** One enrollment with its progress, any hand resolutions, and whether one may be made now. Support and admin. */
export const GET = apiRoute<{ workflowId: string }>(
  {
    area: 'enrollments',
    errors: [
      [InvalidEnrollmentQueryError, 422],
      [EnrollmentNotFoundError, 404],
    ],
  },
  async ({ params }) => {
    const workflowId = workflowIdParam(params.workflowId);
    const [enrollment, resolutions, partners, link, unlinks, latest] = await Promise.all([
      withTemporal(() => getEnrollment(temporal(), workflowId)),
      manualResolutions(db(), workflowId),
      partnerNames(),
      linkOfWorkflow(db(), workflowId),
      unlinkRecords(db(), workflowId),
      latestEvaluation(workflowId),
    ]);
    const subscription = link?.subscriptions[0];
    const linkSummary = link && {
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
    return { enrollment, resolutions, partners, canResolve: isReconciliationPending(enrollment), link: linkSummary, unlinks, latestEvaluation: latest };
  },
);
