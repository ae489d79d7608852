import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { getPipelineHealth, type PipelineHealth } from '@/server/stream/pipeline-health.ts';

export const dynamic = 'force-dynamic';

/** The last hour of pipeline samples per changefeed table, with the newest values, and the relay slot's state. */
export const GET = apiRoute({ area: 'pipeline' }, async (): Promise<PipelineHealth> => {
  const { CDC_RELAY, CDC_SLOT_NAME } = env();
  return getPipelineHealth(db(), { slotName: CDC_RELAY === 'on' ? CDC_SLOT_NAME : null });
});
