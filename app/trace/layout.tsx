import type { ReactNode } from 'react';
import { forbidOutsideArea } from '@/server/auth/session.ts';

export default async function Layout({ children }: { children: ReactNode }) {
  await forbidOutsideArea('trace');
  return children;
}
