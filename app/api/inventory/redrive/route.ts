import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { UnknownStockItemError } from '@/server/inventory/errors.ts';
import { NothingToRedriveError, previewRedrive, REDRIVE_MAX_ROWS, redriveRows, RedriveTooBroadError, type RedrivePreview, type RedriveResult } from '@/server/inventory/redrive.ts';
import { parseRedriveQuery, redriveRequestSchema } from '@/server/inventory/requests.ts';

export const dynamic = 'force-dynamic';

/** An inventory action for engineers and admins (the pipeline area), not for associates. */
const options = {
  area: 'pipeline',
  errors: [
    [UnknownStockItemError, 404],
    [NothingToRedriveError, 409],
    [RedriveTooBroadError, 422],
  ],
} as const;

/** GET /api/inventory/redrive?store=&skuPrefix=&lots=1 — how many rows a re-drive would touch, and the cap. */
export const GET = apiRoute(options, async ({ searchParams }): Promise<RedrivePreview> => previewRedrive(db(), parseRedriveQuery(searchParams)));

/**
 * POST /api/inventory/redrive {storeId, skuPrefix?, includeLots?, reason} — bumps updated_at on the selected rows
 * so they re-emit through the change stream; over REDRIVE_MAX_ROWS is refused (422). Audited by redriveRows.
 */
export const POST = apiRoute(options, async ({ user, ...ctx }): Promise<RedriveResult> =>
  redriveRows(db(), redriveRequestSchema.parse(await ctx.json()), { id: user.id, role: user.role }, { maxRows: REDRIVE_MAX_ROWS, via: 'console' }),
);
