'use client';

import { WhenCanChange } from '@/components/can-change.tsx';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import { formatShortDateTime, formatSigned } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import type { AdjustmentListResponse, InventoryPage, InventoryRow } from '@/server/inventory/search.ts';
import { AdjustForm } from './adjust-form.tsx';
import { AvailabilityBadge } from './availability-badge.tsx';
import { DownstreamSteps } from './downstream-steps.tsx';
import { LotsPanel } from './lots-panel.tsx';

const rowKey = (storeId: string, sku: string) => ['inventory', 'row', storeId, sku] as const;
export const ledgerKey = (storeId: string, sku: string) => ['inventory', 'ledger', storeId, sku] as const;

/** The selected store × SKU: its numbers, the adjust form, the live downstream view, its lots and latest changes. */
export function StockPanel({ storeId, sku, row: listed, onClose }: { storeId: string; sku: string; row?: InventoryRow; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [watching, setWatching] = useState<string | null>(null);

  // The list may have paged away from this row; fetch it on its own (an exact SKU sorts first among its prefix matches).
  const row = useQuery({
    queryKey: rowKey(storeId, sku),
    queryFn: async ({ signal }) => {
      const page = await apiFetch<InventoryPage>(`/api/inventory/levels?${new URLSearchParams({ store: storeId, sku, limit: '1' })}`, { signal });
      const found = page.rows[0];
      return found && found.storeId === storeId && found.sku === sku ? found : null;
    },
    initialData: listed,
    staleTime: 0,
  });
  const ledger = useQuery({
    queryKey: ledgerKey(storeId, sku),
    queryFn: ({ signal }) => apiFetch<AdjustmentListResponse>(`/api/inventory/adjustments?${new URLSearchParams({ store: storeId, sku })}`, { signal }),
  });

  const refreshRow = () => void queryClient.invalidateQueries({ queryKey: ['inventory'], refetchType: 'active' });
  const current = row.data;

  return (
    <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-4">
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 className="text-lg font-semibold">
            <span className="font-mono">{sku}</span> <span className="text-slate-500">at</span> {storeId}
          </h2>
          {current && <p className="text-sm text-slate-600">{current.itemName}</p>}
        </div>
        <Button size="sm" onClick={onClose} className="shrink-0">
          Close<span className="sr-only"> selected item</span>
        </Button>
      </div>

      {row.isError ? (
        <ErrorState title="Could not load this item" error={row.error} onRetry={() => void row.refetch()} />
      ) : current ? (
        <dl className="grid grid-cols-3 gap-2 text-sm">
          <div className="rounded bg-slate-50 p-2">
            <dt className="text-xs text-slate-600">On hand</dt>
            <dd className="text-xl font-semibold tabular-nums" data-testid="on-hand">
              {current.onHand}
            </dd>
          </div>
          <div className="rounded bg-slate-50 p-2">
            <dt className="text-xs text-slate-600">Reorder at</dt>
            <dd className="text-xl font-semibold tabular-nums">{current.reorderPoint}</dd>
          </div>
          <div className="rounded bg-slate-50 p-2">
            <dt className="text-xs text-slate-600">Catalog</dt>
            <dd className="mt-1">
              <AvailabilityBadge available={current.available} />
            </dd>
          </div>
        </dl>
      ) : row.isFetching ? (
        <SkeletonRows rows={1} label="Loading this item" />
      ) : (
        <p className="text-sm text-slate-600">This store has no stock row for this SKU yet; receiving stock creates it.</p>
      )}

      <WhenCanChange>
        <AdjustForm
          storeId={storeId}
          sku={sku}
          onAdjusted={(adjustmentId) => {
            setWatching(adjustmentId);
            refreshRow();
          }}
        />
      </WhenCanChange>

      {watching && <DownstreamSteps key={watching} adjustmentId={watching} onComplete={refreshRow} />}

      <LotsPanel
        storeId={storeId}
        sku={sku}
        onChanged={(adjustmentId) => {
          if (adjustmentId) setWatching(adjustmentId);
          refreshRow();
        }}
      />

      <section aria-labelledby={`ledger-${storeId}-${sku}`} className="space-y-2">
        <h3 id={`ledger-${storeId}-${sku}`} className="font-semibold">
          Latest changes
        </h3>
        {ledger.isPending ? (
          <SkeletonRows rows={3} label="Loading latest changes" />
        ) : ledger.isError ? (
          <ErrorState title="Could not load the latest changes" error={ledger.error} onRetry={() => void ledger.refetch()} />
        ) : ledger.data.adjustments.length === 0 ? (
          <p className="text-sm text-slate-600">No changes recorded through the console yet. Adjust the stock above to make the first.</p>
        ) : (
          <ul className="divide-y divide-slate-100 rounded border border-slate-200 text-sm">
            {ledger.data.adjustments.map((entry) => (
              <li key={entry.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-2.5 py-1.5">
                <span className="w-12 text-right font-semibold tabular-nums">{formatSigned(entry.delta)}</span>
                <span className="min-w-0 flex-1">
                  {entry.reason.replace('_', ' ')} → {entry.onHandAfter}
                  <span className="block text-xs text-slate-600">
                    {entry.actor} · <time dateTime={entry.createdAt}>{formatShortDateTime(entry.createdAt)}</time>
                    {entry.lotId && <> · {entry.lotId}</>}
                    {entry.note && <> · “{entry.note}”</>}
                  </span>
                </span>
                <Button size="xs" onClick={() => setWatching(entry.id)} aria-label={`Show what change #${entry.id} set off downstream`}>
                  Downstream
                </Button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
