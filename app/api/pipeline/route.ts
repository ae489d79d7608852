import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { getPipelineHealth } from '@/server/stream/pipeline-health.ts';

export const dynamic = 'force-dynamic';

/** The last hour of pipeline samples per changefeed table, with the newest values. */
export const GET = apiRoute({ area: 'pipeline' }, async () => getPipelineHealth(db()));
