import { requireArea } from '@/server/auth/session.ts';
import { reconciliationWorkflowId } from '@/server/temporal/contract.ts';
import { env } from '@/server/env.ts';
import { workflowIdParam } from '@/server/card-link/requests.ts';
import { EnrollmentDetail } from '../_components/enrollment-detail.tsx';

export const dynamic = 'force-dynamic';

export default async function EnrollmentPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const workflowId = workflowIdParam((await params).workflowId);
  await requireArea('enrollments', `/enrollments/${encodeURIComponent(workflowId)}`);
  const { TEMPORAL_UI_URL, TEMPORAL_NAMESPACE } = env();
  return (
    <EnrollmentDetail
      workflowId={workflowId}
      reconciliationWorkflowId={reconciliationWorkflowId(workflowId)}
      temporalUi={{ uiUrl: TEMPORAL_UI_URL, namespace: TEMPORAL_NAMESPACE }}
    />
  );
}
