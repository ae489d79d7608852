import { ActionNotAllowedError } from '@/server/card-link/enrollments.ts';
import {
  changePartnerVersion,
  PartnerNotFoundError,
  PartnerVersionConflictError,
  UnknownVersionError,
  type PartnerVersionChangeResponse,
} from '@/server/card-link/partner-versions.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';

export const dynamic = 'force-dynamic';

/**
 * Admin only: `{ action: 'shadow', version, reason }` runs a version in shadow mode, `{ action: 'stop_shadow',
 * reason }` stops it, `{ action: 'promote', reason }` makes the version in shadow live. Audited.
 */
export const POST = apiRoute<{ partnerId: string }>(
  {
    area: 'enrollments',
    errors: [
      [ActionNotAllowedError, 403],
      [PartnerNotFoundError, 404],
      [PartnerVersionConflictError, 409],
      [UnknownVersionError, 422],
    ],
  },
  async (ctx): Promise<PartnerVersionChangeResponse> => {
    const partner = await changePartnerVersion(db(), ctx.params.partnerId, await ctx.json(), { id: ctx.user.id, role: ctx.user.role });
    return { partner };
  },
);
