import { ActionNotAllowedError } from '@/server/card-link/enrollments.ts';
import { TemporalUnavailableError } from '@/server/card-link/link-card.ts';
import { supportUnlinkSchema, workflowIdParam } from '@/server/card-link/requests.ts';
import { linkOfWorkflow, unlinkCard, UnknownLinkError, UnlinkPendingError, type UnlinkResult } from '@/server/card-link/unlink-card.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { apiRoute, HttpError } from '@/server/http/api-route.ts';
import { temporal } from '@/server/temporal/client.ts';
import { withTemporal } from '../../temporal-errors.ts';
import { ENROLLMENT_ACTION_ERRORS } from '../../action-errors.ts';

export const dynamic = 'force-dynamic';

const UNLINKERS: readonly string[] = ['support', 'admin'];

/**
 * Support ends a card link, `{ reason }`: the link and its subscription end, the partner is told, and the
 * audit log records who and why. Support and admin; unlinking an ended link answers `already_unlinked`.
 */
export const POST = apiRoute<{ workflowId: string }>(
  {
    area: 'enrollments',
    errors: [
      ...ENROLLMENT_ACTION_ERRORS,
      [UnknownLinkError, 404],
      [TemporalUnavailableError, 503],
      [UnlinkPendingError, 504],
    ],
  },
  async (ctx): Promise<UnlinkResult> => {
    const { params, user } = ctx;
    if (!UNLINKERS.includes(user.role)) throw new ActionNotAllowedError(`role ${user.role} may not unlink a card (support or admin only)`);
    const workflowId = workflowIdParam(params.workflowId);
    const { reason } = supportUnlinkSchema.parse(await ctx.json());
    const link = await linkOfWorkflow(db(), workflowId);
    if (!link) throw new HttpError(409, `card link ${workflowId} created no link: there is nothing to unlink`);
    return withTemporal(() =>
      unlinkCard({ db: db(), temporal: temporal(), timeoutMs: env().CARD_LINK_DECISION_TIMEOUT_MS }, link.linkId, { reason }, { id: user.id, role: user.role }, 'console'),
    );
  },
);
