import { canChange } from '@/server/auth/access.ts';
import { requireArea } from '@/server/auth/session.ts';
import { subProcessorsByTable } from '@/server/stream/registry.ts';
import { changefeedTables } from '@/server/stream/tables.ts';
import { DeadLettersView } from './_components/dead-letters-view.tsx';

export const dynamic = 'force-dynamic';

export default async function DeadLettersPage() {
  const user = await requireArea('dead-letters', '/dead-letters');
  const topics = Object.keys(changefeedTables);
  const subProcessors = [...new Set(Object.values(subProcessorsByTable).flatMap((sps) => sps.map((sp) => sp.name))), 'decode'];
  return <DeadLettersView topics={topics} subProcessors={subProcessors} canChange={canChange(user.role, 'dead-letters')} />;
}
