import { listAuditActions, type AuditActionsResponse } from '@/server/audit/audit-log.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';

export const dynamic = 'force-dynamic';

/** GET /api/audit/actions — every action name in the audit log, for the filter. */
export const GET = apiRoute({ area: 'audit' }, async (): Promise<AuditActionsResponse> => ({ actions: await listAuditActions(db()) }));
