import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { listStores, type StoreListResponse } from '@/server/inventory/search.ts';

export const dynamic = 'force-dynamic';

/** GET /api/inventory/stores — the stores, for the search form. */
export const GET = apiRoute({ area: 'inventory' }, async (): Promise<StoreListResponse> => ({ stores: await listStores(db()) }));
