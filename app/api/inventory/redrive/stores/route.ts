import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { listStores, type StoreListResponse } from '@/server/inventory/search.ts';

export const dynamic = 'force-dynamic';

/** GET /api/inventory/redrive/stores — the stores, for the re-drive form (engineers cannot use the inventory area's list). */
export const GET = apiRoute({ area: 'pipeline' }, async (): Promise<StoreListResponse> => ({ stores: await listStores(db()) }));
