import { listAuditLog, type AuditPage } from '@/server/audit/audit-log.ts';
import { parseAuditQuery } from '@/server/audit/requests.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';

export const dynamic = 'force-dynamic';

/** GET /api/audit?actor=&action=&target=&reason=&from=&to=&cursor=&limit= — one page of the audit log, newest first. */
export const GET = apiRoute({ area: 'audit' }, async ({ searchParams }): Promise<AuditPage> => listAuditLog(db(), parseAuditQuery(searchParams)));
