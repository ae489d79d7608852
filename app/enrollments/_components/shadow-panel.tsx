'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { Fragment, useId, useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import { Time } from './format-time.tsx';
import { StatusBadge } from './status-badge.tsx';
import {
  enrollmentHref,
  formatRate,
  SHADOW_WINDOWS,
  type MismatchesResponse,
  type PartnerShadowStatus,
  type ShadowResponse,
  type ShadowMismatch,
  type ShadowWindow,
} from './view-model.ts';
import type { MismatchKind } from '@/server/card-link/shadow-link.ts';

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
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {query.isPending ? (
        <SkeletonRows rows={3} label="Loading shadow-mode mismatch rates" />
      ) : query.isError ? (
        <ErrorState title="Could not load shadow-mode mismatch rates" error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.partners.length === 0 ? (
        <EmptyState title="No partners are configured">Partners are added with their integration module; once one runs a candidate version, its comparisons show here.</EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Shadow-mode comparisons per partner and version pair</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
              <tr>
                <th scope="col" className="px-3 py-2">Partner</th>
                <th scope="col" className="px-3 py-2">Live</th>
                <th scope="col" className="px-3 py-2">Candidate</th>
                <th scope="col" className="px-3 py-2 text-right">Comparisons</th>
                <th scope="col" className="px-3 py-2 text-right">Mismatches</th>
                <th scope="col" className="px-3 py-2 text-right">Rate</th>
                <th scope="col" className="px-3 py-2">What differed</th>
                <th scope="col" className="hidden px-3 py-2 lg:table-cell">Last compared</th>
                <th scope="col" className="px-3 py-2">
                  <span className="sr-only">Recent mismatches</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {query.data.partners.map((partner) =>
                partner.versions.length === 0 ? (
                  <tr key={partner.partnerId}>
                    <th scope="row" className="px-3 py-2 font-medium">
                      {partner.name}
                    </th>
                    <td className="px-3 py-2 font-mono">{partner.liveVersion ? `v${partner.liveVersion}` : '—'}</td>
                    <td colSpan={7} className="px-3 py-2 text-slate-500">
                      No candidate version in shadow mode
                    </td>
                  </tr>
                ) : (
                  partner.versions.map((pair) => {
                    const key = pairKey(pair);
                    const expanded = open === key;
                    return (
                      <Fragment key={key}>
                        <tr>
                          <th scope="row" className="px-3 py-2 font-medium">
                            {partner.name}
                          </th>
                          <td className="px-3 py-2 font-mono">v{pair.liveVersion}</td>
                          <td className="px-3 py-2 font-mono whitespace-nowrap">
                            v{pair.candidateVersion}{' '}
                            <span className="font-sans text-xs text-slate-500">{pair.current ? '(in shadow now)' : '(earlier)'}</span>
                          </td>
                          <td className="px-3 py-2 text-right tabular-nums">{pair.comparisons}</td>
                          <td className="px-3 py-2 text-right tabular-nums">{pair.mismatches}</td>
                          <td className="px-3 py-2 text-right">
                            {pair.mismatches > 0 ? (
                              <StatusBadge view={{ label: formatRate(pair.rate, pair.comparisons), icon: '⚠', tone: 'pending' }} />
                            ) : (
                              <span className="tabular-nums text-slate-700">{formatRate(pair.rate, pair.comparisons)}</span>
                            )}
                          </td>
                          <td className="px-3 py-2">
                            <MismatchKinds kinds={pair.kinds} />
                          </td>
                          <td className="hidden px-3 py-2 whitespace-nowrap lg:table-cell">{pair.lastComparedAt ? <Time iso={pair.lastComparedAt} /> : 'Not yet'}</td>
                          <td className="px-3 py-2 text-right">
                            {pair.mismatches > 0 && (
                              <button
                                type="button"
                                aria-expanded={expanded}
                                aria-controls={`${id}-${key}`}
                                onClick={() => setOpen(expanded ? null : key)}
                                className="whitespace-nowrap rounded border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-100"
                              >
                                {expanded ? 'Hide mismatches' : 'Recent mismatches'}
                                <span className="sr-only">
                                  {' '}
                                  of {partner.name} v{pair.liveVersion} against v{pair.candidateVersion}
                                </span>
                              </button>
                            )}
                          </td>
                        </tr>
                        {expanded && (
                          <tr id={`${id}-${key}`}>
                            <td colSpan={9} className="bg-slate-50 px-3 py-3">
                              <RecentMismatches pair={pair} partnerName={partner.name} />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    );
                  })
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
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

function RecentMismatches({ pair, partnerName }: { pair: Pair; partnerName: string }) {
  const params = new URLSearchParams({ partnerId: pair.partnerId, liveVersion: pair.liveVersion, candidateVersion: pair.candidateVersion, limit: '20' });
  const query = useQuery({
    queryKey: ['enrollments-shadow-mismatches', pairKey(pair)],
    queryFn: ({ signal }) => apiFetch<MismatchesResponse>(`/api/enrollments/shadow/mismatches?${params.toString()}`, { signal }),
  });
  const title = `Recent mismatches of ${partnerName} v${pair.liveVersion} against v${pair.candidateVersion}`;
  if (query.isPending) return <SkeletonRows rows={2} label={`Loading ${title.toLowerCase()}`} />;
  if (query.isError) return <ErrorState title={`Could not load ${title.toLowerCase()}`} error={query.error} onRetry={() => void query.refetch()} />;
  if (query.data.mismatches.length === 0) return <p className="text-sm text-slate-600">No mismatches recorded for this version pair.</p>;
  return (
    <table className="w-full text-left text-sm">
      <caption className="pb-2 text-left text-sm font-medium">{title} (latest 20)</caption>
      <thead className="text-xs uppercase tracking-wide text-slate-600">
        <tr>
          <th scope="col" className="py-1 pr-3">When</th>
          <th scope="col" className="py-1 pr-3">Customer</th>
          <th scope="col" className="py-1 pr-3">Live decided</th>
          <th scope="col" className="py-1 pr-3">Candidate decided</th>
          <th scope="col" className="py-1 pr-3">What differed</th>
          <th scope="col" className="py-1 pr-3">
            <span className="sr-only">Card link</span>
          </th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-200">
        {query.data.mismatches.map((mismatch) => (
          <tr key={mismatch.id}>
            <td className="py-1 pr-3 whitespace-nowrap">
              <Time iso={mismatch.createdAt} />
            </td>
            <td className="py-1 pr-3 font-mono">{mismatch.customerId}</td>
            <td className="py-1 pr-3">
              {decisionText(mismatch.liveDecision)}
              {mismatch.liveLink && <span className="block text-xs text-slate-600">{linkText(mismatch.liveLink)}</span>}
            </td>
            <td className="py-1 pr-3">
              {decisionText(mismatch.candidateDecision)}
              {mismatch.candidateLink && <span className="block text-xs text-slate-600">{linkText(mismatch.candidateLink)}</span>}
            </td>
            <td className="py-1 pr-3">{mismatch.mismatchKinds.map((kind) => KIND_LABELS[kind]).join(', ') || '—'}</td>
            <td className="py-1 pr-3 text-right">
              {mismatch.workflowId.startsWith('card-link:') && (
                <Link href={enrollmentHref(mismatch.workflowId)} className="whitespace-nowrap font-medium text-blue-700 hover:underline">
                  Card link →<span className="sr-only"> of {mismatch.customerId}</span>
                </Link>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
