import { requireArea } from '@/server/auth/session.ts';
import { env } from '@/server/env.ts';
import { workflowIdParam } from '../../api/enrollments/schemas.ts';
import { EnrollmentDetail } from '../_components/enrollment-detail.tsx';
import { temporalWorkflowUrl } from '../_components/view-model.ts';

export const dynamic = 'force-dynamic';

export default async function EnrollmentPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const workflowId = workflowIdParam((await params).workflowId);
  await requireArea('enrollments', `/enrollments/${encodeURIComponent(workflowId)}`);
  const { TEMPORAL_UI_URL, TEMPORAL_NAMESPACE } = env();
  return <EnrollmentDetail workflowId={workflowId} temporalUrl={temporalWorkflowUrl(TEMPORAL_UI_URL, TEMPORAL_NAMESPACE, workflowId)} />;
}
