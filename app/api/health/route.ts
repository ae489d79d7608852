import { checkAll } from '@/server/health/checks.ts';
import { logger } from '@/server/logger.ts';

export const dynamic = 'force-dynamic';

/** Live health of Postgres, Kafka, Temporal and the worker. 200 when all are up, 503 otherwise; the body says which. */
export async function GET() {
  try {
    const report = await checkAll();
    return Response.json(report, { status: report.ok ? 200 : 503, headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    logger.error({ err, route: '/api/health' }, 'health check failed unexpectedly');
    return Response.json({ error: 'Health check failed unexpectedly; see the console server log.' }, { status: 500 });
  }
}
