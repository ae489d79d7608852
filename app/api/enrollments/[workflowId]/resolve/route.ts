import type { ResolveResponse } from '@/server/card-link/enrollment-answers.ts';
import { NoPendingReconciliationError, resolveMultiMatchByHand } from '@/server/card-link/enrollments.ts';
import { manualResolutionSchema, workflowIdParam } from '@/server/card-link/requests.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { temporal } from '@/server/temporal/client.ts';
import { withTemporal } from '../../temporal-errors.ts';
import { ENROLLMENT_ACTION_ERRORS } from '../../action-errors.ts';

export const dynamic = 'force-dynamic';

/**
 * Settles a pending multi-match by hand, `{ matched, reason }`: support and admin, only while the reconciliation
 * waits; audited by resolveMultiMatchByHand (the audit row commits only with the signal).
 */
export const POST = apiRoute<{ workflowId: string }>(
  {
    area: 'enrollments',
    errors: [...ENROLLMENT_ACTION_ERRORS, [NoPendingReconciliationError, 409]],
  },
  async (ctx): Promise<ResolveResponse> => {
    const { params, user } = ctx;
    const workflowId = workflowIdParam(params.workflowId);
    const resolution = manualResolutionSchema.parse(await ctx.json());
    const result = await withTemporal(() => resolveMultiMatchByHand(temporal(), db(), workflowId, resolution, { id: user.id, role: user.role }));
    return { workflowId, ...result };
  },
);
