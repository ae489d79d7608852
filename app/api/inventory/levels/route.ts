import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { parseSearchParams } from '@/server/inventory/requests.ts';
import { searchInventory, type InventoryPage } from '@/server/inventory/search.ts';

export const dynamic = 'force-dynamic';

/** GET /api/inventory/levels?store=&sku=<prefix>&q=<name text>&cursor=&limit= — one keyset page of stock. */
export const GET = apiRoute({ area: 'inventory' }, async ({ searchParams }): Promise<InventoryPage> => searchInventory(db(), parseSearchParams(searchParams)));
