import { WhenCanChange } from '@/components/can-change.tsx';
import { requireArea } from '@/server/auth/session.ts';
import { PipelineHealthView } from './_components/pipeline-health-view.tsx';
import { RedrivePanel } from './_components/redrive-panel.tsx';
import { TemporalLinks } from './_components/temporal-links.tsx';

export const dynamic = 'force-dynamic';

export default async function PipelinePage() {
  await requireArea('pipeline', '/pipeline');
  return (
    <>
      <PipelineHealthView />
      <WhenCanChange>
        <RedrivePanel />
      </WhenCanChange>
      <TemporalLinks />
    </>
  );
}
