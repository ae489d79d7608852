'use client';

import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useMemo, useState, type FormEvent } from 'react';
import { ApiError, apiFetch } from '@/components/api-client.ts';
import { formatDateTime, plural } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import type { AuditActionsResponse, AuditEntry, AuditPage } from '@/server/audit/audit-log.ts';
import { filtersFromParams, filtersQueryString, hasFilters, isoToLocalInput, localInputToIso, NO_FILTERS, type AuditFilters } from './audit-filters.ts';

const field = 'mt-1 block w-full rounded border border-slate-300 bg-white px-2 py-1.5 text-sm';

export function AuditLogView() {
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filters = useMemo(() => filtersFromParams(searchParams), [searchParams]);
  const qs = filtersQueryString(filters);

  const apply = (next: AuditFilters) => {
    const text = filtersQueryString(next);
    router.replace(text ? `${pathname}?${text}` : pathname, { scroll: false });
  };

  const list = useInfiniteQuery({
    queryKey: ['audit', 'list', qs],
    queryFn: ({ pageParam, signal }) => apiFetch<AuditPage>(`/api/audit?${qs}${pageParam ? `${qs ? '&' : ''}cursor=${pageParam}` : ''}`, { signal }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
  });
  const actions = useQuery({
    queryKey: ['audit', 'actions'],
    queryFn: ({ signal }) => apiFetch<AuditActionsResponse>('/api/audit/actions', { signal }),
    staleTime: 60_000,
  });

  const entries = useMemo(() => list.data?.pages.flatMap((page) => page.entries) ?? [], [list.data]);
  const validation = list.error instanceof ApiError && list.error.status === 422 ? list.error : null;

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-semibold">Audit log</h1>
        <p className="mt-1 text-sm text-slate-600">Who did what, when and why: every change made through the console or by the system, newest first.</p>
      </div>

      {/* Keyed by the URL's filters so Back/Forward and "Clear" reset the form to what is shown. */}
      <FilterForm key={qs} filters={filters} actions={actions.data?.actions ?? []} actionsError={actions.isError} validation={validation} onApply={apply} />

      <section aria-labelledby="entries-heading" className="space-y-3">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="entries-heading" className="text-lg font-semibold">
            Entries
          </h2>
          {list.isSuccess && (
            <p className="text-xs text-slate-500" role="status">
              {entries.length === 0 ? 'No entries' : `Showing ${plural(entries.length, 'entry', 'entries')}${list.hasNextPage ? ' (more below)' : ''}`}
              {hasFilters(filters) ? ' matching the filters' : ''}
              {list.isFetching && !list.isFetchingNextPage ? ' · refreshing…' : ''}
            </p>
          )}
        </div>

        {list.isPending ? (
          <SkeletonRows rows={8} label="Loading audit entries" />
        ) : list.isError && entries.length === 0 ? (
          <ErrorState
            title={validation ? 'These filters are not valid' : 'Could not load the audit log'}
            error={list.error}
            onRetry={validation ? () => apply(NO_FILTERS) : () => void list.refetch()}
          />
        ) : entries.length === 0 ? (
          hasFilters(filters) ? (
            <EmptyState
              title="No audit entries match these filters"
              action={
                <Button onClick={() => apply(NO_FILTERS)}>Clear filters</Button>
              }
            >
              Widen the time range, or check the actor&apos;s exact username.
            </EmptyState>
          ) : (
            <EmptyState title="Nothing has been audited yet">Every stock adjustment, replay, discard and manual resolution appears here as it happens.</EmptyState>
          )
        ) : (
          <>
            <AuditTable entries={entries} />
            {list.isFetchNextPageError && <ErrorState title="Could not load older entries" error={list.error} onRetry={() => void list.fetchNextPage()} />}
            {list.hasNextPage && (
              <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage} loadingText="Loading older entries…">
                Load older entries
              </Button>
            )}
          </>
        )}
      </section>
    </div>
  );
}

function FilterForm({
  filters,
  actions,
  actionsError,
  validation,
  onApply,
}: {
  filters: AuditFilters;
  actions: string[];
  actionsError: boolean;
  validation: ApiError | null;
  onApply: (filters: AuditFilters) => void;
}) {
  const [draft, setDraft] = useState({ ...filters, from: isoToLocalInput(filters.from), to: isoToLocalInput(filters.to) });
  const [rangeError, setRangeError] = useState<string | null>(null);
  // A shared link may name an action the list does not have yet: keep it selectable.
  const actionOptions = filters.action && !actions.includes(filters.action) ? [filters.action, ...actions] : actions;

  const set = (key: keyof AuditFilters) => (event: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: event.target.value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const from = localInputToIso(draft.from);
    const to = localInputToIso(draft.to);
    if (from && to && from > to) {
      setRangeError('"To" must not be before "From".');
      return;
    }
    setRangeError(null);
    onApply({ ...draft, from, to });
  };

  const errorFor = (key: string) => (key === 'to' && rangeError) || validation?.fieldError(key);

  return (
    <form onSubmit={submit} aria-label="Filter the audit log" className="rounded-lg border border-slate-200 bg-white p-4">
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-6">
        <Field id="audit-actor" label="Actor (username)" error={errorFor('actor')}>
          <input id="audit-actor" value={draft.actor} onChange={set('actor')} className={field} autoComplete="off" placeholder="e.g. admin" />
        </Field>
        <Field id="audit-action" label="Action" error={errorFor('action') ?? (actionsError ? 'Could not load the action names' : undefined)}>
          <select id="audit-action" value={draft.action} onChange={set('action')} className={field}>
            <option value="">Any action</option>
            {actionOptions.map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </Field>
        <Field id="audit-target" label="Target contains" error={errorFor('target')}>
          <input id="audit-target" value={draft.target} onChange={set('target')} className={field} autoComplete="off" placeholder="e.g. TO-201" />
        </Field>
        <Field id="audit-reason" label="Reason contains" error={errorFor('reason')}>
          <input id="audit-reason" value={draft.reason} onChange={set('reason')} className={field} autoComplete="off" />
        </Field>
        <Field id="audit-from" label="From" error={errorFor('from')}>
          <input id="audit-from" type="datetime-local" value={draft.from} onChange={set('from')} className={field} />
        </Field>
        <Field id="audit-to" label="To" error={errorFor('to')}>
          <input id="audit-to" type="datetime-local" value={draft.to} onChange={set('to')} className={field} />
        </Field>
      </div>
      <div className="mt-3 flex flex-wrap gap-2">
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        <Button
          onClick={() => {
            setDraft(NO_FILTERS);
            setRangeError(null);
            onApply(NO_FILTERS);
          }}
        >
          Clear
        </Button>
      </div>
    </form>
  );
}

function Field({ id, label, error, children }: { id: string; label: string; error?: string | false | null; children: React.ReactNode }) {
  return (
    <div>
      <label htmlFor={id} className="text-xs font-medium text-slate-700">
        {label}
      </label>
      {children}
      {error && (
        <p className="mt-1 text-xs text-red-700" role="alert">
          <span aria-hidden="true">✕ </span>
          {error}
        </p>
      )}
    </div>
  );
}

/** Longer reasons are clamped to two lines in the table; the details row shows them whole. */
const LONG_REASON = 120;
const hasDetails = (entry: AuditEntry) => (entry.details !== null && entry.details !== undefined) || (entry.reason?.length ?? 0) > LONG_REASON;

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const columns: Column<AuditEntry>[] = [
    {
      id: 'when',
      header: 'When',
      className: 'whitespace-nowrap tabular-nums',
      cell: (entry) => (
        <time dateTime={entry.createdAt} title={entry.createdAt}>
          {formatDateTime(entry.createdAt)}
        </time>
      ),
    },
    {
      id: 'who',
      header: 'Who',
      className: 'whitespace-nowrap',
      cell: (entry) => (
        <>
          <span className="font-medium">{entry.actor}</span>{' '}
          <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs font-semibold uppercase tracking-wide text-slate-700">{entry.actorRole}</span>
        </>
      ),
    },
    { id: 'action', header: 'Action', className: 'font-mono text-xs', cell: (entry) => entry.action },
    { id: 'target', header: 'Target', className: 'min-w-[12rem] max-w-[20rem] font-mono text-xs [overflow-wrap:anywhere]', cell: (entry) => entry.target },
    {
      id: 'reason',
      header: 'Reason',
      className: 'min-w-[14rem] max-w-[28rem]',
      cell: (entry) =>
        entry.reason === null ? (
          <span className="text-slate-500">— none given</span>
        ) : (
          <span className={`[overflow-wrap:anywhere] ${entry.reason.length > LONG_REASON ? 'line-clamp-2' : ''}`}>{entry.reason}</span>
        ),
    },
    {
      id: 'details',
      header: 'Details',
      className: 'whitespace-nowrap',
      cell: (entry) => {
        if (!hasDetails(entry)) return <span className="text-slate-500">—</span>;
        const expanded = open.has(entry.id);
        return (
          <Button variant="link" size="xs" className="px-1" aria-expanded={expanded} aria-controls={panelId(entry)} onClick={() => toggle(entry.id)}>
            <span aria-hidden="true">{expanded ? '▾ ' : '▸ '}</span>
            {expanded ? 'Hide details' : 'Details'}
            <span className="sr-only">
              {' '}
              of {entry.action} on {entry.target}
            </span>
          </Button>
        );
      },
    },
  ];

  return (
    <DataTable
      label="Audit entries"
      columns={columns}
      rows={entries}
      rowKey={(entry) => entry.id}
      tableClassName="min-w-[720px]"
      expandedRow={(entry) => (open.has(entry.id) ? { id: panelId(entry), content: <EntryDetails entry={entry} /> } : null)}
    />
  );
}

const panelId = (entry: AuditEntry) => `audit-details-${entry.id}`;

function EntryDetails({ entry }: { entry: AuditEntry }) {
  return (
    <div className="space-y-2" aria-label={`Details of ${entry.action} on ${entry.target}`} role="group">
      {entry.reason !== null && entry.reason.length > LONG_REASON && (
        <p className="text-xs [overflow-wrap:anywhere]">
          <span className="font-semibold">Full reason: </span>
          {entry.reason}
        </p>
      )}
      {entry.details !== null && entry.details !== undefined && (
        <pre className="max-h-80 overflow-auto rounded border border-slate-200 bg-white p-2 font-mono text-xs">{JSON.stringify(entry.details, null, 2)}</pre>
      )}
    </div>
  );
}
