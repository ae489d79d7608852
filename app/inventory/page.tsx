import { requireArea } from '@/server/auth/session.ts';
import { InventoryConsole } from './_components/inventory-console.tsx';

export const dynamic = 'force-dynamic';

export default async function InventoryPage() {
  await requireArea('inventory', '/inventory');
  return <InventoryConsole />;
}
