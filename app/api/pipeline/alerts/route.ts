import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { getPipelineAlerts, type PipelineAlerts } from '@/server/metrics/pipeline-alerts.ts';

export const dynamic = 'force-dynamic';

/** Which of alerts/dashops.rules.yml's alerts would fire now, evaluated against the pipeline's live values. */
export const GET = apiRoute({ area: 'pipeline' }, async (): Promise<PipelineAlerts> => {
  const { CDC_RELAY, CDC_SLOT_NAME, WORKER_STALE_AFTER_MS } = env();
  return getPipelineAlerts(db(), { slotName: CDC_RELAY === 'on' ? CDC_SLOT_NAME : null, workerStaleAfterMs: WORKER_STALE_AFTER_MS });
});
