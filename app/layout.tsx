import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Nav } from '@/components/nav.tsx';
import { Providers } from '@/components/providers.tsx';
import { CanChangeProvider } from '@/components/can-change.tsx';
import { SignOut } from '@/components/sign-out.tsx';
import { areasFor, READ_ONLY_ROLES } from '@/server/auth/access.ts';
import { currentUser } from '@/server/auth/session.ts';
import './globals.css';

export const metadata: Metadata = {
  title: 'DashOps',
  description: 'Inventory change stream and DashPass card-link operations console',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  const areas = user ? areasFor(user.role).map(({ href, label }) => ({ href, label })) : [];
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2">
          Skip to content
        </a>
        <header className="border-b border-slate-200 bg-white">
          <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-2.5 md:px-6">
            <Link href="/" className="text-lg font-semibold tracking-tight">
              DashOps
            </Link>
            {user && <Nav areas={areas} />}
            {user && (
              <div className="ml-auto flex items-center gap-3 text-sm">
                <span>
                  <span className="font-medium">{user.name}</span>{' '}
                  <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs font-semibold uppercase tracking-wide text-slate-700" data-testid="current-role">
                    {user.role}
                  </span>
                </span>
                <SignOut />
              </div>
            )}
          </div>
        </header>
        <main id="main" className="mx-auto max-w-7xl px-4 py-6 md:px-6">
          <Providers>
            <CanChangeProvider value={!user || !READ_ONLY_ROLES.includes(user.role)}>{children}</CanChangeProvider>
          </Providers>
        </main>
      </body>
    </html>
  );
}
