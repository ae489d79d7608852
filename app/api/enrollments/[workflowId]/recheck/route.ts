import { CardLinkFailedError, DecisionPendingError, NothingToRecheckError, TemporalUnavailableError, type LinkCardResult } from '@/server/card-link/link-card.ts';
import { reEvaluationPolicyFrom } from '@/server/card-link/re-evaluation.ts';
import { recheckEligibility } from '@/server/card-link/recheck.ts';
import { recheckSchema, workflowIdParam } from '@/server/card-link/requests.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { temporal } from '@/server/temporal/client.ts';
import { withTemporal } from '../../temporal-errors.ts';
import { ENROLLMENT_ACTION_ERRORS } from '../../action-errors.ts';

export const dynamic = 'force-dynamic';

/**
 * Re-checks a decided card's eligibility now, `{ reason }`: support and admin, on the card's latest evaluation
 * once it closed without a link. Answers the new evaluation's decision; audited by recheckEligibility.
 */
export const POST = apiRoute<{ workflowId: string }>(
  {
    area: 'enrollments',
    errors: [
      ...ENROLLMENT_ACTION_ERRORS,
      [NothingToRecheckError, 409],
      [CardLinkFailedError, 502],
      [TemporalUnavailableError, 503],
      [DecisionPendingError, 504],
    ],
  },
  async (ctx): Promise<LinkCardResult> => {
    const { params, user } = ctx;
    const workflowId = workflowIdParam(params.workflowId);
    const input = recheckSchema.parse(await ctx.json());
    const deps = { db: db(), temporal: temporal(), decisionTimeoutMs: env().CARD_LINK_DECISION_TIMEOUT_MS, reEvaluation: reEvaluationPolicyFrom(env()) };
    return withTemporal(() => recheckEligibility(deps, workflowId, input, { id: user.id, role: user.role }));
  },
);
