import { shadowQuerySchema, windowStart } from '@/server/card-link/requests.ts';
import { shadowOverview, type ShadowResponse } from '@/server/card-link/shadow.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';

export const dynamic = 'force-dynamic';

/** Shadow mode per partner: live and candidate versions, and mismatch rates per version pair in the window. */
export const GET = apiRoute({ area: 'enrollments' }, async ({ searchParams }): Promise<ShadowResponse> => {
  const { window } = shadowQuerySchema.parse({ window: searchParams.get('window') ?? undefined });
  const partners = await shadowOverview(db(), { since: windowStart(window) });
  return { window, partners };
});
