'use client';

import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import type { InventoryPage, InventoryRow } from '@/server/inventory/search.ts';
import { AvailabilityBadge } from './availability-badge.tsx';
import { formatDateTime } from './format.ts';
import { StockPanel } from './stock-panel.tsx';

interface Filters {
  store: string;
  sku: string;
  q: string;
}

export const inventoryKeys = {
  all: ['inventory'] as const,
  levels: (filters: Filters, cursor: string | null) => ['inventory', 'levels', filters, cursor] as const,
  stores: ['inventory', 'stores'] as const,
};

function levelsUrl(filters: Filters, cursor: string | null): string {
  const params = new URLSearchParams();
  if (filters.store) params.set('store', filters.store);
  if (filters.sku.trim()) params.set('sku', filters.sku.trim());
  if (filters.q.trim()) params.set('q', filters.q.trim());
  if (cursor) params.set('cursor', cursor);
  return `/api/inventory/levels?${params}`;
}

const inputClass = 'mt-1 w-full rounded border border-slate-300 bg-white px-2.5 py-1.5 text-sm';

export function InventoryConsole() {
  const id = useId();
  const [draft, setDraft] = useState<Filters>({ store: '', sku: '', q: '' });
  const [filters, setFilters] = useState<Filters>({ store: '', sku: '', q: '' });
  // Cursors of the pages before the current one, so "Previous" can walk back.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors.at(-1) ?? null;
  // null: none picked yet (a search with a single match opens it); 'none': the user closed the panel.
  const [picked, setPicked] = useState<{ storeId: string; sku: string } | 'none' | null>(null);

  const stores = useQuery({
    queryKey: inventoryKeys.stores,
    queryFn: () => apiFetch<{ stores: { storeId: string; name: string; city: string }[] }>('/api/inventory/stores'),
    staleTime: 5 * 60_000,
  });
  const levels = useQuery({
    queryKey: inventoryKeys.levels(filters, cursor),
    queryFn: ({ signal }) => apiFetch<InventoryPage>(levelsUrl(filters, cursor), { signal }),
    placeholderData: keepPreviousData,
  });

  // A search that finds exactly one store × SKU opens it straight away.
  const onlyRow = levels.data?.rows.length === 1 && cursors.length === 1 ? levels.data.rows[0] : undefined;
  const selected = picked === 'none' ? null : (picked ?? (onlyRow ? { storeId: onlyRow.storeId, sku: onlyRow.sku } : null));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft });
    setCursors([null]);
    setPicked(null);
  };
  const selectedRow = selected && levels.data?.rows.find((row) => row.storeId === selected.storeId && row.sku === selected.sku);

  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-semibold">Inventory</h1>
        <p className="mt-1 text-sm text-slate-600">
          Find a store’s item, adjust its stock with a reason, and watch the change flow through the pipeline.
        </p>
      </div>

      <form onSubmit={submit} role="search" aria-label="Search inventory" className="grid gap-3 rounded-lg border border-slate-200 bg-white p-3 sm:grid-cols-[minmax(0,12rem)_minmax(0,1fr)_minmax(0,1fr)_auto] sm:items-end">
        <div>
          <label htmlFor={`${id}-store`} className="block text-sm font-medium">
            Store
          </label>
          <select id={`${id}-store`} value={draft.store} onChange={(e) => setDraft({ ...draft, store: e.target.value })} className={inputClass}>
            <option value="">All stores</option>
            {stores.data?.stores.map((store) => (
              <option key={store.storeId} value={store.storeId}>
                {store.storeId} · {store.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-sku`} className="block text-sm font-medium">
            SKU starts with
          </label>
          <input id={`${id}-sku`} value={draft.sku} onChange={(e) => setDraft({ ...draft, sku: e.target.value })} placeholder="e.g. PRD-BANANA" autoComplete="off" className={`${inputClass} font-mono`} />
        </div>
        <div>
          <label htmlFor={`${id}-q`} className="block text-sm font-medium">
            Item name contains
          </label>
          <input id={`${id}-q`} value={draft.q} onChange={(e) => setDraft({ ...draft, q: e.target.value })} placeholder="e.g. milk" autoComplete="off" className={inputClass} />
        </div>
        <button type="submit" className="rounded bg-slate-900 px-4 py-1.5 text-sm font-medium text-white hover:bg-slate-700">
          Search
        </button>
      </form>

      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_24rem] xl:grid-cols-[minmax(0,1fr)_28rem]">
        <section aria-labelledby={`${id}-results`} className="min-w-0 space-y-2">
          <h2 id={`${id}-results`} className="sr-only">
            Stock levels
          </h2>
          <LevelsResult
            state={levels}
            selected={selected}
            onSelect={(row) => setPicked({ storeId: row.storeId, sku: row.sku })}
            onClear={() => {
              setDraft({ store: '', sku: '', q: '' });
              setFilters({ store: '', sku: '', q: '' });
              setCursors([null]);
            }}
          />
          {levels.data && (cursors.length > 1 || levels.data.nextCursor) && (
            <nav aria-label="Pages" className="flex items-center justify-between text-sm">
              <span className="text-slate-600">
                Page {cursors.length}
                {levels.isFetching && <span aria-live="polite"> · loading…</span>}
              </span>
              <span className="flex gap-2">
                <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors((list) => list.slice(0, -1))} className="rounded border border-slate-300 bg-white px-3 py-1 font-medium hover:bg-slate-100 disabled:opacity-50">
                  ← Previous
                </button>
                <button
                  type="button"
                  disabled={!levels.data.nextCursor}
                  onClick={() => {
                    const next = levels.data?.nextCursor;
                    if (next) setCursors((list) => [...list, next]);
                  }}
                  className="rounded border border-slate-300 bg-white px-3 py-1 font-medium hover:bg-slate-100 disabled:opacity-50"
                >
                  Next →
                </button>
              </span>
            </nav>
          )}
        </section>

        <aside aria-label="Selected item" className="min-w-0">
          {selected ? (
            <StockPanel key={`${selected.storeId}/${selected.sku}`} storeId={selected.storeId} sku={selected.sku} row={selectedRow ?? undefined} onClose={() => setPicked('none')} />
          ) : (
            <EmptyState title="No item selected">Pick a row (its SKU) to adjust its stock, see its lots and watch the change stream.</EmptyState>
          )}
        </aside>
      </div>
    </div>
  );
}

function LevelsResult({
  state,
  selected,
  onSelect,
  onClear,
}: {
  state: UseQueryResult<InventoryPage>;
  selected: { storeId: string; sku: string } | null;
  onSelect: (row: InventoryRow) => void;
  onClear: () => void;
}) {
  if (state.isPending) return <SkeletonRows rows={8} label="Loading stock levels" />;
  if (state.isError) return <ErrorState title="Could not load stock levels" error={state.error} onRetry={() => void state.refetch()} />;
  if (state.data.rows.length === 0) {
    return (
      <EmptyState
        title="No stock matches this search"
        action={
          <button type="button" onClick={onClear} className="rounded border border-slate-300 bg-white px-3 py-1 text-sm font-medium hover:bg-slate-100">
            Clear the filters
          </button>
        }
      >
        Check the store, use the start of the SKU (e.g. “PRD”), or search a word of the item name.
      </EmptyState>
    );
  }
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
          <tr>
            <th scope="col" className="px-3 py-2 font-semibold">Store</th>
            <th scope="col" className="px-3 py-2 font-semibold">SKU</th>
            <th scope="col" className="px-3 py-2 font-semibold">Item</th>
            <th scope="col" className="px-3 py-2 text-right font-semibold">On hand</th>
            <th scope="col" className="px-3 py-2 text-right font-semibold">Reorder at</th>
            <th scope="col" className="px-3 py-2 font-semibold">Catalog</th>
            <th scope="col" className="px-3 py-2 font-semibold">Updated</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {state.data.rows.map((row) => {
            const isSelected = selected?.storeId === row.storeId && selected.sku === row.sku;
            const low = row.onHand <= row.reorderPoint;
            return (
              <tr key={`${row.storeId}/${row.sku}`} className={isSelected ? 'bg-sky-50' : 'hover:bg-slate-50'}>
                <td className="whitespace-nowrap px-3 py-1.5" title={row.storeName}>
                  {isSelected && (
                    <span aria-hidden="true" className="mr-1 font-bold text-sky-800">
                      ▸
                    </span>
                  )}
                  {row.storeId}
                </td>
                <td className="whitespace-nowrap px-3 py-1.5">
                  <button
                    type="button"
                    onClick={() => onSelect(row)}
                    aria-pressed={isSelected}
                    aria-label={`Select ${row.storeId} ${row.sku}`}
                    className="rounded font-mono text-sky-800 underline decoration-sky-300 underline-offset-2 hover:decoration-sky-700"
                  >
                    {row.sku}
                  </button>
                </td>
                <td className="px-3 py-1.5">{row.itemName}</td>
                <td className="whitespace-nowrap px-3 py-1.5 text-right tabular-nums">
                  {row.onHand}
                  {low && (
                    <span className="ml-1 text-xs font-medium text-amber-800" title="At or below its reorder point">
                      ▼ low
                    </span>
                  )}
                </td>
                <td className="px-3 py-1.5 text-right tabular-nums text-slate-600">{row.reorderPoint}</td>
                <td className="whitespace-nowrap px-3 py-1.5">
                  <AvailabilityBadge available={row.available} />
                </td>
                <td className="whitespace-nowrap px-3 py-1.5 text-slate-600">
                  <time dateTime={row.updatedAt}>{formatDateTime(row.updatedAt)}</time>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
