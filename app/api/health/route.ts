import { currentUser } from '@/server/auth/session.ts';
import { checkAll, type HealthResponse, type PublicHealthResponse } from '@/server/health/checks.ts';
import { logger } from '@/server/logger.ts';

export const dynamic = 'force-dynamic';

const noStore = { 'cache-control': 'no-store' };

/**
 * Live health of Postgres, Kafka, Temporal and the worker: 200 when all are up, 503 otherwise. The public (load
 * balancers, uptime checks) gets only `{status: "up"|"down"}`; versions, hosts and errors need a signed-in user.
 */
export async function GET() {
  try {
    const report = await checkAll();
    const status = report.ok ? 'up' : 'down';
    const body: HealthResponse | PublicHealthResponse = (await currentUser()) ? { status, ...report } : { status };
    return Response.json(body, { status: report.ok ? 200 : 503, headers: noStore });
  } catch (err) {
    logger.error({ err, route: '/api/health' }, 'health check failed unexpectedly');
    return Response.json({ status: 'down' } satisfies PublicHealthResponse, { status: 503, headers: noStore });
  }
}
