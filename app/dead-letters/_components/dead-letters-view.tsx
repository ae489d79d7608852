'use client';

import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo, useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import { deadLetterQueryString, filterBody, safeParseDeadLetterQuery, type DeadLetterQuery } from '../_lib/query.ts';
import { BulkReplayPanel, useBulkReplay, type BulkSelection } from './bulk-replay.tsx';
import { DeadLetterDetailPanel } from './dead-letter-detail.tsx';
import { DeadLetterTable } from './dead-letter-table.tsx';
import { FilterBar } from './filter-bar.tsx';
import { plural } from './format.ts';
import type { DeadLetterPage } from './types.ts';

const LIVE_MS = 5000;

type Confirm =
  | { kind: 'ids'; ids: string[] }
  | { kind: 'filter'; count: number | null; error: string | null };

export function DeadLettersView({ topics, subProcessors, bulkReplayMax }: { topics: string[]; subProcessors: string[]; bulkReplayMax: number }) {
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();

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
  const [confirm, setConfirm] = useState<Confirm | null>(null);

  const refreshAll = useCallback(() => void queryClient.invalidateQueries({ queryKey: ['dead-letters'] }), [queryClient]);
  const bulk = useBulkReplay(refreshAll);
  const live = bulk.state.phase !== 'running';

  const list = useInfiniteQuery({
    queryKey: ['dead-letters', 'list', qs],
    queryFn: ({ pageParam, signal }) =>
      apiFetch<DeadLetterPage>(`/api/dead-letters?${qs}${qs ? '&' : ''}${pageParam ? `cursor=${pageParam}` : ''}`, { signal }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: live ? LIVE_MS : false,
    refetchIntervalInBackground: false,
  });
  const count = useQuery({
    queryKey: ['dead-letters', 'count', qs],
    queryFn: ({ signal }) => apiFetch<{ count: number; bulkReplayMax: number }>(`/api/dead-letters/count?${qs}`, { signal }),
    refetchInterval: live ? LIVE_MS : false,
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

  const previewFilter = async () => {
    setConfirm({ kind: 'filter', count: null, error: null });
    try {
      const pendingQs = deadLetterQueryString({ ...query, state: 'pending' });
      const result = await apiFetch<{ count: number }>(`/api/dead-letters/count?${pendingQs}`);
      setConfirm({ kind: 'filter', count: result.count, error: null });
    } catch (err) {
      setConfirm({ kind: 'filter', count: null, error: err instanceof Error ? err.message : String(err) });
    }
  };

  const runBulk = (selectionBody: BulkSelection) => {
    setConfirm(null);
    setSelection({ qs, ids: new Set() });
    void bulk.start(selectionBody);
  };

  const filtered = Boolean(query.topic || query.subProcessor || query.errorText || query.from || query.to);
  const stateWord = query.state === 'all' ? '' : `${query.state} `;

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">Dead letters</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-600">
          Messages a sub-processor gave up on. Inspect one, replay it (only the failed sub-processor runs again), replay many at once, or discard with a
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
        <button
          type="button"
          disabled={selected.size === 0 || bulk.state.phase === 'running'}
          onClick={() => setConfirm({ kind: 'ids', ids: [...selected] })}
          className="rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 disabled:cursor-not-allowed disabled:opacity-50"
        >
          Replay selected ({selected.size})
        </button>
        <button
          type="button"
          disabled={bulk.state.phase === 'running'}
          onClick={() => void previewFilter()}
          className="rounded border border-slate-400 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-50"
        >
          Replay all matching filter…
        </button>
      </div>

      <BulkReplayPanel state={bulk.state} onDismiss={bulk.reset} hrefFor={hrefFor} />

      {list.isPending ? (
        <SkeletonRows rows={8} label="Loading dead letters" />
      ) : list.isError && items.length === 0 ? (
        <ErrorState title="Could not load dead letters" error={list.error} onRetry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState
          title={filtered ? 'No dead letters match these filters' : query.state === 'pending' ? 'No pending dead letters' : `No ${stateWord}dead letters`}
          action={
            query.state !== 'all' ? (
              <button type="button" onClick={() => apply({ ...query, state: 'all' })} className="rounded border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100">
                Include resolved entries
              </button>
            ) : filtered ? (
              <button type="button" onClick={() => apply({ state: 'all' })} className="rounded border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100">
                Clear the filters
              </button>
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
              <button
                type="button"
                onClick={() => void list.fetchNextPage()}
                disabled={list.isFetchingNextPage}
                className="rounded border border-slate-300 px-3 py-1.5 font-medium text-slate-900 hover:bg-slate-100 disabled:opacity-60"
              >
                {list.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
              </button>
            )}
          </div>
        </>
      )}

      {openId && <DeadLetterDetailPanel key={openId} id={openId} onClose={() => router.replace(urlFor({ id: null }), { scroll: false })} />}

      <ConfirmDialog
        open={confirm?.kind === 'ids'}
        title="Replay the selected dead letters?"
        confirmLabel={confirm?.kind === 'ids' ? `Replay ${plural(confirm.ids.length, 'entry', 'entries')}` : 'Replay'}
        onConfirm={() => confirm?.kind === 'ids' && runBulk({ ids: confirm.ids })}
        onCancel={() => setConfirm(null)}
      >
        {confirm?.kind === 'ids' && (
          <>
            <p>
              <strong>{plural(confirm.ids.length, 'entry', 'entries')}</strong> will be replayed one at a time, oldest first. Each re-runs only its failed
              sub-processor; an entry overtaken by a newer version of its row is marked superseded and not applied.
            </p>
            {confirm.ids.length > bulkReplayMax && (
              <p className="mt-2 text-red-800">At most {bulkReplayMax.toLocaleString()} entries can be replayed at once; select fewer.</p>
            )}
          </>
        )}
      </ConfirmDialog>

      <ConfirmDialog
        open={confirm?.kind === 'filter'}
        title="Replay all pending entries matching the filter?"
        confirmLabel={confirm?.kind === 'filter' && confirm.count ? `Replay ${plural(Math.min(confirm.count, bulkReplayMax), 'entry', 'entries')}` : 'Replay'}
        pending={confirm?.kind === 'filter' && confirm.count === null && !confirm.error}
        error={confirm?.kind === 'filter' ? confirm.error : null}
        onConfirm={() => {
          if (confirm?.kind !== 'filter' || confirm.count === null) return;
          if (confirm.count === 0) setConfirm(null);
          else runBulk({ filter: filterBody(query) });
        }}
        onCancel={() => setConfirm(null)}
      >
        {confirm?.kind === 'filter' &&
          (confirm.count === null ? (
            confirm.error ? null : (
              <p>Counting the pending entries that match…</p>
            )
          ) : confirm.count === 0 ? (
            <p>No pending entries match this filter: there is nothing to replay.</p>
          ) : (
            <>
              <p data-testid="bulk-preview-count">
                <strong>{plural(confirm.count, 'pending entry', 'pending entries')}</strong> match{confirm.count === 1 ? 'es' : ''} this filter
                {query.state !== 'pending' && query.state !== 'all' ? ' (resolved entries are never replayed)' : ''}. They will be replayed one at a time, oldest
                first; each re-runs only its failed sub-processor, and an entry overtaken by a newer version of its row is marked superseded.
              </p>
              {confirm.count > bulkReplayMax && (
                <p className="mt-2 rounded border border-amber-300 bg-amber-50 p-2 text-amber-950">
                  That is more than one bulk replay takes: this run replays the oldest {bulkReplayMax.toLocaleString()}. Run it again for the rest.
                </p>
              )}
            </>
          ))}
      </ConfirmDialog>
    </div>
  );
}
