import { Suspense } from 'react';
import { SkeletonRows } from '@/components/ui/states.tsx';
import { requireArea } from '@/server/auth/session.ts';
import { EnrollmentSearch } from './_components/enrollment-search.tsx';
import { PartnerVersionsPanel } from './_components/partner-versions.tsx';
import { ShadowPanel } from './_components/shadow-panel.tsx';

export const dynamic = 'force-dynamic';

export default async function EnrollmentsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { customerId } = await searchParams;
  const user = await requireArea('enrollments', typeof customerId === 'string' && customerId ? `/enrollments?customerId=${encodeURIComponent(customerId)}` : '/enrollments');
  return (
    <div className="space-y-10">
      <div className="space-y-4">
        <div>
          <h1 className="text-2xl font-semibold">Enrollments</h1>
          <p className="mt-1 text-sm text-slate-600">DashPass card links by customer: each link&apos;s partner, status and progress, step by step.</p>
        </div>
        <Suspense fallback={<SkeletonRows rows={3} label="Loading the search" />}>
          <EnrollmentSearch />
        </Suspense>
      </div>
      <ShadowPanel />
      {user.role === 'admin' && <PartnerVersionsPanel />}
    </div>
  );
}
