'use client';

import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo, useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import { deadLetterQueryString, filterBody, safeParseDeadLetterQuery, type DeadLetterQuery } from '@/server/stream/requests.ts';
import { BulkOpsPanel, BulkStartDialog, type BulkRequest } from './bulk-ops.tsx';
import { DeadLetterDetailPanel } from './dead-letter-detail.tsx';
import { DeadLetterTable } from './dead-letter-table.tsx';
import { FilterBar } from './filter-bar.tsx';
import { plural } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import type { DeadLetterCountResponse, DeadLetterListResponse } from '@/server/stream/dead-letter-answers.ts';

const LIVE_MS = 5000;

/** `canChange`: false for a read-only role, which sees everything and is offered no action. */
export function DeadLettersView({ topics, subProcessors, canChange }: { topics: string[]; subProcessors: string[]; canChange: boolean }) {
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();

  const { query, error: linkError } = useMemo(() => safeParseDeadLetterQuery(searchParams), [searchParams]);
  const qs = deadLetterQueryString(query);
  const idParam = searchParams.get('id');
  const openId = idParam && /^\d{1,19}$/.test(idParam) ? idParam : null;

  const urlFor = useCallback(
    (next: { qs?: string; id?: string | null }) => {
      const params = new URLSearchParams(next.qs ?? qs);
      const id = next.id === undefined ? openId : next.id;
      if (id) params.set('id', id);
      const text = params.toString();
      return text ? `${pathname}?${text}` : pathname;
    },
    [pathname, qs, openId],
  );
  const hrefFor = useCallback((id: string) => urlFor({ id }), [urlFor]);

  const [selection, setSelection] = useState<{ qs: string; ids: Set<string> }>({ qs, ids: new Set() });
  const selected = selection.qs === qs ? selection.ids : new Set<string>();
  const [bulkRequest, setBulkRequest] = useState<(BulkRequest & { seq: number }) | null>(null);

  const list = useInfiniteQuery({
    queryKey: ['dead-letters', 'list', qs],
    queryFn: ({ pageParam, signal }) =>
      apiFetch<DeadLetterListResponse>(`/api/dead-letters?${qs}${qs ? '&' : ''}${pageParam ? `cursor=${pageParam}` : ''}`, { signal }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: LIVE_MS,
    refetchIntervalInBackground: false,
  });
  const count = useQuery({
    queryKey: ['dead-letters', 'count', qs],
    queryFn: ({ signal }) => apiFetch<DeadLetterCountResponse>(`/api/dead-letters/count?${qs}`, { signal }),
    refetchInterval: LIVE_MS,
    refetchIntervalInBackground: false,
  });

  const items = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const apply = (next: DeadLetterQuery) => {
    router.replace(urlFor({ qs: deadLetterQueryString(next), id: openId }), { scroll: false });
  };

  const toggle = (id: string) =>
    setSelection(() => {
      const ids = new Set(selected);
      if (ids.has(id)) ids.delete(id);
      else ids.add(id);
      return { qs, ids };
    });
  const toggleAll = (ids: string[], select: boolean) =>
    setSelection(() => {
      const next = new Set(selected);
      for (const id of ids) {
        if (select) next.add(id);
        else next.delete(id);
      }
      return { qs, ids: next };
    });

  const askBulk = (request: BulkRequest) => {
    if ('ids' in request.selection) setSelection({ qs, ids: new Set() });
    setBulkRequest((previous) => ({ ...request, seq: (previous?.seq ?? 0) + 1 }));
  };

  const filtered = Boolean(query.topic || query.subProcessor || query.errorText || query.from || query.to);
  const stateWord = query.state === 'all' ? '' : `${query.state} `;

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Dead letters</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-600">
          Messages a sub-processor gave up on. Inspect one, replay it (only the failed sub-processor runs again), replay or discard many at once in the background, or discard with a
          reason. Every action is audited. The list refreshes every few seconds while this tab is visible.
        </p>
      </div>

      {linkError && (
        <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-950">
          This link&apos;s filter was not valid ({linkError}); showing pending entries instead.
        </p>
      )}

      <FilterBar key={qs} query={query} topics={topics} subProcessors={subProcessors} onApply={apply} />

      <div className="flex flex-wrap items-center gap-2">
        <p className="mr-auto text-sm text-slate-700" aria-live="polite">
          {count.data ? `${plural(count.data.count, `${stateWord}entry`, `${stateWord}entries`)} match${count.data.count === 1 ? 'es' : ''}` : count.isError ? 'Count unavailable' : 'Counting…'}
          {selected.size > 0 && ` · ${selected.size} selected`}
        </p>
        {canChange && (
          <>
            <Button
              variant="primary"
              disabled={selected.size === 0}
              onClick={() => askBulk({ kind: 'replay', selection: { ids: [...selected] }, describe: `the ${plural(selected.size, 'selected entry', 'selected entries')}` })}
            >
              Replay selected ({selected.size})
            </Button>
            <Button onClick={() => askBulk({ kind: 'replay', selection: { filter: filterBody(query) }, describe: 'all pending entries matching the filter' })}>
              Replay all matching filter…
            </Button>
            <Button variant="danger-outline" onClick={() => askBulk({ kind: 'discard', selection: { filter: filterBody(query) }, describe: 'all pending entries matching the filter' })}>
              Discard all matching filter…
            </Button>
          </>
        )}
      </div>

      <BulkOpsPanel canChange={canChange} hrefFor={hrefFor} />


      {list.isPending ? (
        <SkeletonRows rows={8} label="Loading dead letters" />
      ) : list.isError && items.length === 0 ? (
        <ErrorState title="Could not load dead letters" error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState
          title={filtered ? 'No dead letters match these filters' : query.state === 'pending' ? 'No pending dead letters' : `No ${stateWord}dead letters`}
          action={
            query.state !== 'all' ? (
              <Button onClick={() => apply({ ...query, state: 'all' })}>Include resolved entries</Button>
            ) : filtered ? (
              <Button onClick={() => apply({ state: 'all' })}>Clear the filters</Button>
            ) : undefined
          }
        >
          {filtered
            ? 'Widen the filters (error text, time range, sub-processor), or include entries that were already replayed, superseded or discarded.'
            : query.state === 'pending'
              ? 'Nothing is waiting: every failed message has been replayed, superseded or discarded. New failures appear here within seconds.'
              : 'Pick another state to see other entries.'}
        </EmptyState>
      ) : (
        <>
          {list.isError && (
            <p role="alert" className="text-sm text-red-800">
              Refreshing failed ({list.error.message}); showing the last loaded list.
            </p>
          )}
          <DeadLetterTable items={items} selected={selected} openId={openId} hrefFor={hrefFor} onToggle={toggle} onToggleAll={toggleAll} />
          <div className="flex items-center gap-3 text-sm text-slate-600">
            <span>Showing {plural(items.length, 'entry', 'entries')}, newest first.</span>
            {list.hasNextPage && (
              <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage} loadingText="Loading…">
                Load older entries
              </Button>
            )}
          </div>
        </>
      )}

      {openId && <DeadLetterDetailPanel key={openId} id={openId} canChange={canChange} onClose={() => router.replace(urlFor({ id: null }), { scroll: false })} />}

      {bulkRequest && <BulkStartDialog key={bulkRequest.seq} request={bulkRequest} onClose={() => setBulkRequest(null)} />}
    </div>
  );
}
