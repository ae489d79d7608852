'use client';

import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { Button } from '@/components/ui/button.tsx';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import { Time } from '@/components/ui/time.tsx';
import type { EnrollmentSearchResponse } from '@/server/card-link/enrollment-answers.ts';
import type { Enrollment } from '@/server/card-link/enrollments.ts';
import { StatusBadge } from './status-badge.tsx';
import { customerIdProblem, enrollmentHref, enrollmentStatus, maskedCard, partnerName, stepLabel } from './view-model.ts';

const LIVE_MS = 5000;

/** Search a customer's card links; the customer ID lives in the URL so a search can be shared and returned to. */
export function EnrollmentSearch() {
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const customerId = (searchParams.get('customerId') ?? '').trim();
  const [draft, setDraft] = useState(customerId);
  const [problem, setProblem] = useState<string | null>(null);
  const [lastUrlId, setLastUrlId] = useState(customerId);
  const id = useId();

  // Back/forward changes the URL: follow it into the field.
  if (customerId !== lastUrlId) {
    setLastUrlId(customerId);
    setDraft(customerId);
    setProblem(null);
  }

  const valid = customerId !== '' && customerIdProblem(customerId) === null;
  const query = useQuery({
    queryKey: ['enrollments', customerId],
    queryFn: ({ signal }) => apiFetch<EnrollmentSearchResponse>(`/api/enrollments?customerId=${encodeURIComponent(customerId)}`, { signal }),
    enabled: valid,
    // Visibility is eventually consistent and links change state: refresh while this tab is visible.
    refetchInterval: LIVE_MS,
    refetchIntervalInBackground: false,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next = draft.trim();
    const found = customerIdProblem(next);
    setProblem(found);
    if (found) return;
    if (next === customerId) void query.refetch();
    else router.push(`${pathname}?customerId=${encodeURIComponent(next)}`);
  };

  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-4">
      <h2 id={`${id}-heading`} className="sr-only">
        Search card links by customer
      </h2>
      <form onSubmit={submit} noValidate className="flex flex-wrap items-start gap-2 rounded-lg border border-slate-200 bg-white p-4">
        <div className="min-w-64 flex-1">
          <label htmlFor={`${id}-customer`} className="block text-sm font-medium">
            Customer ID
          </label>
          <input
            id={`${id}-customer`}
            name="customerId"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            placeholder="cus_priya_raman"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={problem !== null}
            aria-describedby={problem ? `${id}-problem` : `${id}-hint`}
            className="mt-1 w-full rounded border border-slate-300 px-3 py-2 font-mono text-sm aria-invalid:border-red-500"
          />
          {problem ? (
            <p id={`${id}-problem`} role="alert" className="mt-1 text-sm text-red-700">
              <span aria-hidden="true">✕ </span>
              {problem}
            </p>
          ) : (
            <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500">
              Exactly as in the customer app or the ticket; IDs are case-sensitive.
            </p>
          )}
        </div>
        <Button type="submit" variant="primary" size="lg" className="mt-6">
          Search
        </Button>
      </form>
      <Results customerId={customerId} valid={valid} query={query} />
    </section>
  );
}

function Results({
  customerId,
  valid,
  query,
}: {
  customerId: string;
  valid: boolean;
  query: UseQueryResult<EnrollmentSearchResponse>;
}) {
  if (!customerId) {
    return (
      <EmptyState title="Search for a customer to see their card links">
        Enter the customer ID from the support ticket or the customer app (for example <code className="font-mono">cus_priya_raman</code>). You will see
        every DashPass card link for that customer: partner, status, card and the step it is at.
      </EmptyState>
    );
  }
  if (!valid) {
    return <ErrorState title={`“${customerId}” is not a customer ID`} error={customerIdProblem(customerId)} />;
  }
  if (query.isPending) return <SkeletonRows rows={4} label={`Loading card links for ${customerId}`} />;
  if (query.isError) return <ErrorState title={`Could not load card links for ${customerId}`} error={query.error} onRetry={() => void query.refetch()} />;

  const { enrollments, partners } = query.data;
  if (enrollments.length === 0) {
    return (
      <EmptyState title={`No card links for ${customerId}`}>
        Check the ID for typos (it is case-sensitive). A card link appears here a second or two after the customer adds a card to DashPass; this list refreshes
        by itself.
      </EmptyState>
    );
  }
  return (
    <div className="space-y-2">
      <p className="text-sm text-slate-600" aria-live="polite">
        {enrollments.length === 1 ? '1 card link' : `${enrollments.length} card links`} for <span className="font-mono font-medium">{customerId}</span>, newest first.
        Refreshes every {LIVE_MS / 1000} s while this tab is visible.
      </p>
      <DataTable caption={`Card links of ${customerId}`} columns={enrollmentColumns(partners)} rows={enrollments} rowKey={(enrollment) => enrollment.workflowId} />
    </div>
  );
}

function enrollmentColumns(partners: Record<string, string>): Column<Enrollment>[] {
  const partnerOf = (enrollment: Enrollment) => partnerName(partners, enrollment.partnerId ?? enrollment.progress?.partnerId);
  return [
    {
      id: 'card',
      header: 'Card',
      className: 'whitespace-nowrap',
      cell: (enrollment) => {
        const card = maskedCard(enrollment.progress?.card);
        return (
          <Link
            href={enrollmentHref(enrollment.workflowId)}
            aria-label={`${card}, ${partnerOf(enrollment)}: timeline`}
            className="font-mono font-medium text-blue-700 underline underline-offset-2 hover:text-blue-900"
          >
            {card}
          </Link>
        );
      },
    },
    { id: 'partner', header: 'Partner', cell: partnerOf },
    { id: 'status', header: 'Status', cell: (enrollment) => <StatusBadge view={enrollmentStatus(enrollment)} /> },
    { id: 'started', header: 'Started', cell: (enrollment) => <Time iso={enrollment.startTime} /> },
    {
      id: 'step',
      header: 'Current step',
      cell: (enrollment) =>
        enrollment.progress ? (
          stepLabel(enrollment.progress.currentStep)
        ) : (
          <span className="text-amber-800" title={enrollment.progressError}>
            <span aria-hidden="true">⚠ </span>Progress unavailable
          </span>
        ),
    },
  ];
}
