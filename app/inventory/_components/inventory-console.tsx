'use client';

import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { formatCount, formatShortDateTime } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import { EmptyState } from '@/components/ui/states.tsx';
import type { InventoryPage, InventoryRow, StoreListResponse } from '@/server/inventory/search.ts';
import { AvailabilityBadge } from './availability-badge.tsx';
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
    queryFn: () => apiFetch<StoreListResponse>('/api/inventory/stores'),
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
        <Button type="submit" variant="primary">
          Search
        </Button>
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
                <Button size="sm" disabled={cursors.length <= 1} onClick={() => setCursors((list) => list.slice(0, -1))}>
                  ← Previous
                </Button>
                <Button
                  size="sm"
                  disabled={!levels.data.nextCursor}
                  onClick={() => {
                    const next = levels.data?.nextCursor;
                    if (next) setCursors((list) => [...list, next]);
                  }}
                >
                  Next →
                </Button>
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
  const isSelected = (row: InventoryRow) => selected?.storeId === row.storeId && selected.sku === row.sku;
  const columns: Column<InventoryRow>[] = [
    {
      id: 'store',
      header: 'Store',
      className: 'whitespace-nowrap',
      cell: (row) => (
        <span title={row.storeName}>
          {isSelected(row) && (
            <span aria-hidden="true" className="mr-1 font-bold text-sky-800">
              ▸
            </span>
          )}
          {row.storeId}
        </span>
      ),
    },
    {
      id: 'sku',
      header: 'SKU',
      className: 'whitespace-nowrap',
      cell: (row) => (
        <Button variant="link" onClick={() => onSelect(row)} aria-pressed={isSelected(row)} aria-label={`Select ${row.storeId} ${row.sku}`} className="font-mono font-normal text-sky-800">
          {row.sku}
        </Button>
      ),
    },
    { id: 'item', header: 'Item', cell: (row) => row.itemName },
    {
      id: 'on-hand',
      header: 'On hand',
      align: 'right',
      className: 'whitespace-nowrap tabular-nums',
      cell: (row) => (
        <>
          {formatCount(row.onHand)}
          {row.onHand <= row.reorderPoint && (
            <span className="ml-1 text-xs font-medium text-amber-800" title="At or below its reorder point">
              ▼ low
            </span>
          )}
        </>
      ),
    },
    { id: 'reorder', header: 'Reorder at', align: 'right', className: 'tabular-nums text-slate-600', cell: (row) => formatCount(row.reorderPoint) },
    { id: 'catalog', header: 'Catalog', className: 'whitespace-nowrap', cell: (row) => <AvailabilityBadge available={row.available} /> },
    {
      id: 'updated',
      header: 'Updated',
      className: 'whitespace-nowrap text-slate-600',
      cell: (row) => <time dateTime={row.updatedAt}>{formatShortDateTime(row.updatedAt)}</time>,
    },
  ];
  return (
    <DataTable
      columns={columns}
      rows={state.data?.rows}
      rowKey={(row) => `${row.storeId}/${row.sku}`}
      isRowCurrent={isSelected}
      loading={state.isPending}
      loadingRows={8}
      loadingLabel="Loading stock levels"
      error={state.error}
      errorTitle="Could not load stock levels"
      onRetry={() => void state.refetch()}
      empty={
        <EmptyState
          title="No stock matches this search"
          action={
            <Button size="sm" onClick={onClear}>
              Clear the filters
            </Button>
          }
        >
          Check the store, use the start of the SKU (e.g. “PRD”), or search a word of the item name.
        </EmptyState>
      }
    />
  );
}
