import { env } from '@/server/env.ts';
import { metrics } from '@/server/metrics/registry.ts';
import { scrapeRefusal } from '@/server/metrics/scrape-token.ts';

export const dynamic = 'force-dynamic';

/** Prometheus scrape of the console's own metrics (the card-link API's decisions and sync latency). */
export async function GET(request: Request) {
  const refusal = scrapeRefusal(request.headers.get('authorization'), env().METRICS_TOKEN);
  if (refusal) {
    const headers = { 'cache-control': 'no-store', ...(refusal.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) };
    return Response.json({ error: refusal.error }, { status: refusal.status, headers });
  }
  const registry = metrics().consoleRegistry;
  return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' } });
}
