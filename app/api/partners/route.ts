import { listPartnerVersions, type PartnerVersionsResponse } from '@/server/card-link/partner-versions.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';

export const dynamic = 'force-dynamic';

/** Each partner's live and shadow versions, and the versions this build implements. */
export const GET = apiRoute({ area: 'enrollments' }, async (): Promise<PartnerVersionsResponse> => ({ partners: await listPartnerVersions(db()) }));
