import Link from 'next/link';
import { HealthPanel } from '@/components/health-panel.tsx';
import { areasFor } from '@/server/auth/access.ts';
import { requireSignedIn } from '@/server/auth/session.ts';

export const dynamic = 'force-dynamic';

export default async function HomePage() {
  const user = await requireSignedIn('/');
  return (
    <div className="space-y-8">
      <div className="space-y-6">
        <div>
          <h1 className="text-2xl font-semibold">System health</h1>
          <p className="mt-1 text-sm text-slate-600">
            Live status of the services DashOps runs on. Refreshes every few seconds while this tab is visible.
          </p>
        </div>
        <HealthPanel />
      </div>
      <section aria-labelledby="your-areas" className="space-y-3">
        <h2 id="your-areas" className="text-lg font-semibold">
          Your areas
        </h2>
        <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {areasFor(user.role).map((area) => (
            <li key={area.href}>
              <Link href={area.href} className="block rounded-lg border border-slate-200 bg-white p-4 hover:border-slate-400">
                <span className="font-medium">{area.label}</span>
                <span className="mt-1 block text-sm text-slate-600">For {area.audience.toLowerCase()}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
