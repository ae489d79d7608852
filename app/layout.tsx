import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Providers } from '@/components/providers.tsx';
import './globals.css';

export const metadata: Metadata = {
  title: 'DashOps',
  description: 'Inventory change stream and DashPass card-link operations console',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <header className="border-b border-slate-200 bg-white">
          <div className="mx-auto flex max-w-6xl items-center gap-6 px-6 py-3">
            <Link href="/" className="text-lg font-semibold tracking-tight">
              DashOps
            </Link>
            <span className="text-sm text-slate-500">operations console</span>
          </div>
        </header>
        <main className="mx-auto max-w-6xl px-6 py-8">
          <Providers>{children}</Providers>
        </main>
      </body>
    </html>
  );
}
