import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { loadDownstream, UnknownAdjustmentError, type DownstreamView } from '@/server/inventory/downstream.ts';
import { adjustmentIdSchema } from '@/server/inventory/requests.ts';
import { workflowLinker } from '@/server/temporal/ui-links.ts';

export const dynamic = 'force-dynamic';

/** GET /api/inventory/adjustments/:id/downstream — the adjustment's row change, Kafka offset, sub-processor outcomes, workflows. */
export const GET = apiRoute<{ id: string }>({ area: 'inventory', errors: [[UnknownAdjustmentError, 404]] }, async ({ params }): Promise<DownstreamView> => {
  const id = adjustmentIdSchema.parse(params.id);
  const { TEMPORAL_UI_URL, TEMPORAL_NAMESPACE } = env();
  return loadDownstream(db(), id, workflowLinker({ uiUrl: TEMPORAL_UI_URL, namespace: TEMPORAL_NAMESPACE }));
});
