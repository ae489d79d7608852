import { requireArea } from '@/server/auth/session.ts';
import { AuditLogView } from './_components/audit-log-view.tsx';

export const dynamic = 'force-dynamic';

export default async function AuditPage() {
  await requireArea('audit', '/audit');
  return <AuditLogView />;
}
