'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { AreaInfo } from '@/server/auth/access.ts';

/** The areas the signed-in user's role may open; the current one is marked for screen readers too. */
export function Nav({ areas }: { areas: Pick<AreaInfo, 'href' | 'label'>[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Console areas">
      <ul className="flex flex-wrap items-center gap-1 text-sm">
        {areas.map((area) => {
          const current = pathname === area.href || pathname.startsWith(`${area.href}/`);
          return (
            <li key={area.href}>
              <Link
                href={area.href}
                aria-current={current ? 'page' : undefined}
                className={`rounded px-2.5 py-1.5 font-medium ${current ? 'bg-slate-900 text-white' : 'text-slate-700 hover:bg-slate-100'}`}
              >
                {area.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
