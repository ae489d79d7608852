import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { parseTraceQuery } from '@/server/stream/requests.ts';
import { loadTrace, TraceNotFoundError, type TraceView } from '@/server/stream/trace.ts';
import { workflowLinker } from '@/server/temporal/ui-links.ts';

export const dynamic = 'force-dynamic';

/** GET /api/stream/trace?table=&key=[&updated=] or ?topic=&partition=&offset= — the trace of one change (422 on a bad query, 404 when nothing is recorded). */
export const GET = apiRoute({ area: 'trace', errors: [[TraceNotFoundError, 404]] }, async ({ searchParams }): Promise<TraceView> => {
  const { TEMPORAL_UI_URL, TEMPORAL_NAMESPACE } = env();
  return loadTrace(db(), parseTraceQuery(searchParams), workflowLinker({ uiUrl: TEMPORAL_UI_URL, namespace: TEMPORAL_NAMESPACE }));
});
