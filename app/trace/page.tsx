import { requireArea } from '@/server/auth/session.ts';
import { changefeedTables } from '@/server/stream/tables.ts';
import { TraceView } from './_components/trace-view.tsx';

export const dynamic = 'force-dynamic';

export default async function TracePage() {
  await requireArea('trace', '/trace');
  const tables = Object.entries(changefeedTables).map(([name, { primaryKey }]) => ({ name, primaryKey: [...primaryKey] }));
  return <TraceView tables={tables} />;
}
