'use client';

import { WhenCanChange } from '@/components/can-change.tsx';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { ApiError, apiFetch } from '@/components/api-client.ts';
import { formatElapsed } from '@/components/format.ts';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import { Time } from '@/components/ui/time.tsx';
import type { EnrollmentDetailResponse } from '@/server/card-link/enrollment-answers.ts';
import { temporalWorkflowUrl, type TemporalUi } from '@/server/temporal/ui-links.ts';
import { FieldList } from './partner-response.tsx';
import { RecheckEligibility } from './recheck-eligibility.tsx';
import { ResolveMultiMatch } from './resolve-multi-match.tsx';
import { LinkPanel } from './unlink-card.tsx';
import { StatusBadge } from './status-badge.tsx';
import { Timeline } from './timeline.tsx';
import { enrollmentStatus, maskedCard, partnerName } from './view-model.ts';

const LIVE_MS = 2000;

/** `card-link:<customerId>:<fingerprint>`; fingerprints have no colon, customer IDs may. */
function customerOf(workflowId: string): string | null {
  const rest = workflowId.startsWith('card-link:') ? workflowId.slice('card-link:'.length) : '';
  const cut = rest.lastIndexOf(':');
  return cut > 0 ? rest.slice(0, cut) : null;
}

function BackLink({ customerId }: { customerId: string | null }) {
  return (
    <Link
      href={customerId ? `/enrollments?customerId=${encodeURIComponent(customerId)}` : '/enrollments'}
      className="text-sm font-medium text-blue-700 underline-offset-2 hover:underline"
    >
      ← {customerId ? `Card links of ${customerId}` : 'Enrollments'}
    </Link>
  );
}

/** One card link: facts, outcome, the guarded hand resolution, and the step timeline, live while the workflow runs. */
export function EnrollmentDetail({ workflowId, reconciliationWorkflowId, temporalUi }: { workflowId: string; reconciliationWorkflowId: string; temporalUi: TemporalUi }) {
  const query = useQuery({
    queryKey: ['enrollment', workflowId],
    queryFn: ({ signal }) => apiFetch<EnrollmentDetailResponse>(`/api/enrollments/${encodeURIComponent(workflowId)}`, { signal }),
    refetchInterval: (q) => (q.state.data?.enrollment.status === 'RUNNING' ? LIVE_MS : false),
    refetchIntervalInBackground: false,
    retry: (failures, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 1,
  });

  // The run this page shows once loaded; until then (or for an unknown id) the latest run of the id.
  const temporalLink = (
    <a href={temporalWorkflowUrl(temporalUi, workflowId, query.data?.enrollment.runId)} target="_blank" rel="noopener noreferrer" className="text-sm font-medium text-blue-700 underline-offset-2 hover:underline">
      Open in Temporal UI<span aria-hidden="true"> ↗</span>
      <span className="sr-only"> (opens in a new tab)</span>
    </a>
  );

  if (query.isPending) {
    return (
      <div className="space-y-4">
        <BackLink customerId={customerOf(workflowId)} />
        <h1 className="text-2xl font-semibold">Card link</h1>
        <SkeletonRows rows={6} label="Loading the card link" />
      </div>
    );
  }
  if (query.isError) {
    const notFound = query.error instanceof ApiError && query.error.status === 404;
    return (
      <div className="space-y-4">
        <BackLink customerId={customerOf(workflowId)} />
        <h1 className="text-2xl font-semibold">Card link</h1>
        {notFound ? (
          <EmptyState title="No such card link" action={temporalLink}>
            There is no card-link workflow <code className="font-mono">{workflowId}</code>. Search the customer again: the link may have been started under
            another card.
          </EmptyState>
        ) : (
          <ErrorState title="Could not load this card link" error={query.error} onRetry={() => void query.refetch()} />
        )}
      </div>
    );
  }

  const { enrollment, resolutions, partners, canResolve } = query.data;
  const progress = enrollment.progress;
  const running = enrollment.status === 'RUNNING';
  const partner = partnerName(partners, enrollment.partnerId ?? progress?.partnerId);
  const card = maskedCard(progress?.card);
  const customerId = progress?.customerId ?? customerOf(workflowId);
  const status = enrollmentStatus(enrollment);

  return (
    <div className="space-y-6">
      <BackLink customerId={customerId} />
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold">
            <span>
              {card} · {partner}
            </span>
            <StatusBadge view={status} className="text-sm" />
          </h1>
          <p className="mt-1 break-all font-mono text-xs text-slate-500">{enrollment.workflowId}</p>
        </div>
        <div className="flex flex-col items-end gap-1">
          {temporalLink}
          {(progress?.currentStep === 'reconcile' || progress?.outcome?.status === 'pending_reconciliation' || progress?.outcome?.status === 'reconciliation_failed') && (
            // The reconciliation continues-as-new while it waits: its latest run is the one to look at.
            <a
              href={temporalWorkflowUrl(temporalUi, reconciliationWorkflowId)}
              target="_blank"
              rel="noopener noreferrer"
              className="text-sm font-medium text-blue-700 underline-offset-2 hover:underline"
            >
              Reconciliation workflow (latest run)<span aria-hidden="true"> ↗</span>
              <span className="sr-only"> (opens in a new tab)</span>
            </a>
          )}
          <p role="status" className="text-xs text-slate-600">
            {running ? (
              <>
                <span aria-hidden="true" className="text-sky-600 motion-safe:animate-pulse">
                  ●{' '}
                </span>
                Live: refreshes every {LIVE_MS / 1000} s while this tab is visible
                {query.isFetching ? ' (refreshing…)' : ''}
              </>
            ) : (
              <>
                <span aria-hidden="true">■ </span>Workflow closed: not refreshing
              </>
            )}
          </p>
        </div>
      </div>

      <dl className="grid grid-cols-2 gap-x-6 gap-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm md:grid-cols-4">
        <div>
          <dt className="text-slate-500">Customer</dt>
          <dd className="font-mono">{customerId ?? '—'}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Partner</dt>
          <dd>{partner}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Started</dt>
          <dd>
            <Time iso={enrollment.startTime} />
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">{enrollment.closeTime ? 'Closed' : 'Running for'}</dt>
          <dd>
            {enrollment.closeTime ? (
              <>
                <Time iso={enrollment.closeTime} /> <span className="text-slate-500">({formatElapsed(enrollment.startTime, enrollment.closeTime)})</span>
              </>
            ) : (
              <span className="tabular-nums">{formatElapsed(enrollment.startTime, query.dataUpdatedAt).slice(1)}</span>
            )}
          </dd>
        </div>
      </dl>

      {progress?.outcome && (
        <section aria-labelledby="outcome-heading" className="rounded-lg border border-slate-200 bg-white p-4">
          <h2 id="outcome-heading" className="mb-2 flex items-center gap-2 font-semibold">
            {progress.outcome.status === 'pending_reconciliation' ? 'Decision so far' : 'Outcome'}
          </h2>
          <FieldList value={progress.outcome} label="Outcome" omit={['partnerId']} />
        </section>
      )}

      {canResolve && (
        <WhenCanChange>
          <ResolveMultiMatch workflowId={enrollment.workflowId} partner={partner} card={card} />
        </WhenCanChange>
      )}
      {query.data.link && <LinkPanel workflowId={enrollment.workflowId} link={query.data.link} card={card} partner={partner} />}
      {!running && (enrollment.status === 'FAILED' || progress?.outcome?.status === 'not_eligible' || progress?.outcome?.status === 'reconciliation_failed') && (
        <WhenCanChange>
          <RecheckEligibility workflowId={enrollment.workflowId} latestEvaluation={query.data.latestEvaluation} partner={partner} card={card} />
        </WhenCanChange>
      )}

      <section aria-labelledby="timeline-heading" className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="timeline-heading" className="mb-4 font-semibold">
          Timeline
        </h2>
        {progress ? (
          <Timeline progress={progress} running={running} startTime={enrollment.startTime} partner={partner} resolutions={resolutions} unlinks={query.data.unlinks} />
        ) : (
          <div role="alert" className="rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
            <p className="font-medium">
              <span aria-hidden="true">⚠ </span>The workflow&apos;s progress could not be read.
            </p>
            <p className="mt-1 break-words">{enrollment.progressError ?? 'No answer to the progress query.'}</p>
            <p className="mt-1">Its full event history is in the Temporal UI. {running ? 'This page keeps retrying.' : ''}</p>
          </div>
        )}
      </section>
    </div>
  );
}
