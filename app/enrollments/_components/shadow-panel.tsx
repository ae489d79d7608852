'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useId, useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { formatCount } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import { EmptyState } from '@/components/ui/states.tsx';
import { Time } from '@/components/ui/time.tsx';
import { SHADOW_WINDOWS, type ShadowWindow } from '@/server/card-link/requests.ts';
import type { MismatchKind } from '@/server/card-link/shadow-link.ts';
import type { MismatchesResponse, PartnerShadowStatus, ShadowMismatch, ShadowResponse } from '@/server/card-link/shadow.ts';
import { StatusBadge } from './status-badge.tsx';
import { enrollmentHref, mismatchRate } from './view-model.ts';

const WINDOW_LABELS: Record<ShadowWindow, string> = { '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days', all: 'All time' };

type Pair = PartnerShadowStatus['versions'][number];
const pairKey = (pair: Pair) => `${pair.partnerId}:${pair.liveVersion}:${pair.candidateVersion}`;

/** Shadow mode: how often each partner's candidate integration version disagrees with the live one. */
export function ShadowPanel() {
  const [period, setPeriod] = useState<ShadowWindow>('7d');
  const [open, setOpen] = useState<string | null>(null);
  const id = useId();
  const query = useQuery({
    queryKey: ['enrollments-shadow', period],
    queryFn: ({ signal }) => apiFetch<ShadowResponse>(`/api/enrollments/shadow?window=${period}`, { signal }),
    refetchInterval: 30_000,
    refetchIntervalInBackground: false,
  });

  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id={`${id}-heading`} className="text-lg font-semibold">
            Shadow-mode mismatch rates
          </h2>
          <p className="text-sm text-slate-600">
            A partner&apos;s candidate integration version computes, without writing anything, the link it would create (partner, dates, benefit); each
            difference from the live link is a mismatch, by kind.
          </p>
        </div>
        <div>
          <label htmlFor={`${id}-window`} className="block text-xs font-medium text-slate-600">
            Period
          </label>
          <select
            id={`${id}-window`}
            value={period}
            onChange={(event) => setPeriod(event.target.value as ShadowWindow)}
            className="mt-0.5 rounded border border-slate-300 bg-white px-2 py-1.5 text-sm"
          >
            {SHADOW_WINDOWS.map((option) => (
              <option key={option} value={option}>
                {WINDOW_LABELS[option]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <DataTable
        caption="Shadow-mode comparisons per partner and version pair"
        columns={shadowColumns(id, open, setOpen)}
        rows={query.data ? shadowRows(query.data.partners) : undefined}
        rowKey={(row) => (row.pair ? pairKey(row.pair) : row.partner.partnerId)}
        expandedRow={(row) =>
          row.pair && open === pairKey(row.pair) ? { id: `${id}-${pairKey(row.pair)}`, content: <RecentMismatches pair={row.pair} partnerName={row.partner.name} /> } : null
        }
        loading={query.isPending}
        loadingLabel="Loading shadow-mode mismatch rates"
        loadingRows={3}
        error={query.isError ? query.error : undefined}
        errorTitle="Could not load shadow-mode mismatch rates"
        onRetry={() => void query.refetch()}
        empty={<EmptyState title="No partners are configured">Partners are added with their integration module; once one runs a candidate version, its comparisons show here.</EmptyState>}
      />
    </section>
  );
}

/** One row per partner and version pair compared; a partner with none gets one row saying so. */
interface ShadowRow {
  partner: PartnerShadowStatus;
  pair: Pair | null;
}

const shadowRows = (partners: PartnerShadowStatus[]): ShadowRow[] =>
  partners.flatMap<ShadowRow>((partner) => (partner.versions.length === 0 ? [{ partner, pair: null }] : partner.versions.map((pair) => ({ partner, pair }))));

const rateText = (pair: Pair) => mismatchRate(pair.rate, pair.comparisons);

function shadowColumns(id: string, open: string | null, setOpen: (key: string | null) => void): Column<ShadowRow>[] {
  const number = (value: (pair: Pair) => number) => (row: ShadowRow) => (row.pair ? formatCount(value(row.pair)) : null);
  return [
    { id: 'partner', header: 'Partner', rowHeader: true, className: 'font-medium', cell: (row) => row.partner.name },
    {
      id: 'live',
      header: 'Live',
      className: 'font-mono',
      cell: ({ partner, pair }) => (pair ? `v${pair.liveVersion}` : partner.liveVersion ? `v${partner.liveVersion}` : '—'),
    },
    {
      id: 'candidate',
      header: 'Candidate',
      className: 'whitespace-nowrap',
      cell: ({ pair }) =>
        pair ? (
          <>
            <span className="font-mono">v{pair.candidateVersion}</span> <span className="text-xs text-slate-500">{pair.current ? '(in shadow now)' : '(earlier)'}</span>
          </>
        ) : (
          <span className="text-slate-500">No candidate version in shadow mode</span>
        ),
    },
    { id: 'comparisons', header: 'Comparisons', align: 'right', className: 'tabular-nums', cell: number((pair) => pair.comparisons) },
    { id: 'mismatches', header: 'Mismatches', align: 'right', className: 'tabular-nums', cell: number((pair) => pair.mismatches) },
    {
      id: 'rate',
      header: 'Rate',
      align: 'right',
      cell: ({ pair }) =>
        !pair ? null : pair.mismatches > 0 ? (
          <StatusBadge view={{ label: rateText(pair), icon: '⚠', tone: 'pending' }} />
        ) : (
          <span className="tabular-nums text-slate-700">{rateText(pair)}</span>
        ),
    },
    { id: 'kinds', header: 'What differed', cell: ({ pair }) => (pair ? <MismatchKinds kinds={pair.kinds} /> : null) },
    {
      id: 'last',
      header: 'Last compared',
      className: 'hidden whitespace-nowrap lg:table-cell',
      headerClassName: 'hidden lg:table-cell',
      cell: ({ pair }) => (pair ? (pair.lastComparedAt ? <Time iso={pair.lastComparedAt} /> : 'Not yet') : null),
    },
    {
      id: 'open',
      header: <span className="sr-only">Recent mismatches</span>,
      align: 'right',
      cell: ({ partner, pair }) => {
        if (!pair || pair.mismatches === 0) return null;
        const key = pairKey(pair);
        const expanded = open === key;
        return (
          <Button size="xs" className="whitespace-nowrap" aria-expanded={expanded} aria-controls={`${id}-${key}`} onClick={() => setOpen(expanded ? null : key)}>
            {expanded ? 'Hide mismatches' : 'Recent mismatches'}
            <span className="sr-only">
              {' '}
              of {partner.name} v{pair.liveVersion} against v{pair.candidateVersion}
            </span>
          </Button>
        );
      },
    },
  ];
}

const KIND_LABELS: Record<MismatchKind, string> = {
  eligibility: 'eligibility',
  partner: 'partner',
  link_status: 'link status',
  start_date: 'start date',
  end_date: 'end date',
  benefit: 'benefit term',
  error: 'candidate error',
};

/** Mismatches by kind, most frequent first: "end date 3 · benefit term 3". */
function MismatchKinds({ kinds }: { kinds: Partial<Record<MismatchKind, number>> }) {
  const entries = (Object.entries(kinds) as [MismatchKind, number][]).filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return <span className="text-slate-500">—</span>;
  return (
    <ul className="flex flex-wrap gap-1" aria-label="Mismatches by kind">
      {entries.map(([kind, count]) => (
        <li key={kind} className="whitespace-nowrap rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-950">
          {KIND_LABELS[kind]} <span className="tabular-nums">{count}</span>
        </li>
      ))}
    </ul>
  );
}

/** A version's link in one line: "active, 2026-12-02 → 2027-12-02", or its decision when it writes none. */
function linkText(link: ShadowMismatch['liveLink']): string {
  if (!link) return '';
  if (link.linkStatus === null) return `no link${link.partnerId ? '' : ' (no partner)'}`;
  const day = (iso: string | null) => (iso ? iso.slice(0, 10) : 'open-ended');
  return `${link.partnerId ?? '?'} ${link.linkStatus.replace(/_/g, ' ')}, ${day(link.benefitStartsAt)} → ${day(link.benefitEndsAt)}`;
}

function decisionText(decision: unknown): string {
  if (decision && typeof decision === 'object') {
    const record = decision as Record<string, unknown>;
    const kind = typeof record.kind === 'string' ? record.kind.replace(/_/g, ' ') : 'unknown';
    return typeof record.reason === 'string' ? `${kind}: ${record.reason}` : kind;
  }
  return String(decision);
}

const MISMATCH_COLUMNS: Column<ShadowMismatch>[] = [
  { id: 'when', header: 'When', className: 'whitespace-nowrap', cell: (mismatch) => <Time iso={mismatch.createdAt} /> },
  { id: 'customer', header: 'Customer', className: 'font-mono', cell: (mismatch) => mismatch.customerId },
  {
    id: 'live',
    header: 'Live decided',
    cell: (mismatch) => (
      <>
        {decisionText(mismatch.liveDecision)}
        {mismatch.liveLink && <span className="block text-xs text-slate-600">{linkText(mismatch.liveLink)}</span>}
      </>
    ),
  },
  {
    id: 'candidate',
    header: 'Candidate decided',
    cell: (mismatch) => (
      <>
        {decisionText(mismatch.candidateDecision)}
        {mismatch.candidateLink && <span className="block text-xs text-slate-600">{linkText(mismatch.candidateLink)}</span>}
      </>
    ),
  },
  { id: 'kinds', header: 'What differed', cell: (mismatch) => mismatch.mismatchKinds.map((kind) => KIND_LABELS[kind]).join(', ') || '—' },
  {
    id: 'link',
    header: <span className="sr-only">Card link</span>,
    align: 'right',
    cell: (mismatch) =>
      mismatch.workflowId.startsWith('card-link:') && (
        <Link href={enrollmentHref(mismatch.workflowId)} className="whitespace-nowrap font-medium text-blue-700 hover:underline">
          Card link →<span className="sr-only"> of {mismatch.customerId}</span>
        </Link>
      ),
  },
];

function RecentMismatches({ pair, partnerName }: { pair: Pair; partnerName: string }) {
  const params = new URLSearchParams({ partnerId: pair.partnerId, liveVersion: pair.liveVersion, candidateVersion: pair.candidateVersion, limit: '20' });
  const query = useQuery({
    queryKey: ['enrollments-shadow-mismatches', pairKey(pair)],
    queryFn: ({ signal }) => apiFetch<MismatchesResponse>(`/api/enrollments/shadow/mismatches?${params.toString()}`, { signal }),
  });
  const title = `Recent mismatches of ${partnerName} v${pair.liveVersion} against v${pair.candidateVersion}`;
  return (
    <div className="space-y-2">
      <p aria-hidden="true" className="text-sm font-medium">
        {title} (latest 20)
      </p>
      <DataTable
        caption={`${title} (latest 20)`}
        columns={MISMATCH_COLUMNS}
        rows={query.data?.mismatches}
        rowKey={(mismatch) => mismatch.id}
        loading={query.isPending}
        loadingLabel={`Loading ${title.toLowerCase()}`}
        loadingRows={2}
        error={query.isError ? query.error : undefined}
        errorTitle={`Could not load ${title.toLowerCase()}`}
        onRetry={() => void query.refetch()}
        empty={<p className="text-sm text-slate-600">No mismatches recorded for this version pair.</p>}
        density="compact"
      />
    </div>
  );
}
