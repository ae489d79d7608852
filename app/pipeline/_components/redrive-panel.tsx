'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { ErrorState } from '@/components/ui/states.tsx';
import { formatCount, plural } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import type { RedrivePreview, RedriveResult } from '@/server/inventory/redrive.ts';
import type { StoreListResponse } from '@/server/inventory/search.ts';

interface Selection {
  storeId: string;
  skuPrefix: string;
  includeLots: boolean;
}

const rows = (count: number) => plural(count, 'row');

const describe = (selection: { storeId: string; skuPrefix: string | null; includeLots: boolean }) =>
  `${selection.includeLots ? 'levels and lots' : 'levels'} of ${selection.storeId}${selection.skuPrefix ? `, SKUs starting “${selection.skuPrefix}”` : ', every SKU'}`;

const previewUrl = (selection: Selection) => {
  const params = new URLSearchParams({ store: selection.storeId });
  if (selection.skuPrefix.trim()) params.set('skuPrefix', selection.skuPrefix.trim());
  if (selection.includeLots) params.set('lots', '1');
  return `/api/inventory/redrive?${params.toString()}`;
};

/**
 * Recovery by touch for operators: choose a store and a SKU prefix, preview how many rows that is, then re-drive
 * them (bump updated_at, so every sub-processor sees them again). The server enforces the cap and audits it.
 */
export function RedrivePanel() {
  const id = useId();
  const [storeId, setStoreId] = useState('');
  const [skuPrefix, setSkuPrefix] = useState('');
  const [includeLots, setIncludeLots] = useState(false);
  const [reason, setReason] = useState('');
  const [storeError, setStoreError] = useState<string | null>(null);
  const [reasonError, setReasonError] = useState<string | null>(null);
  /** The selection the preview was taken for; any edit clears it, so a re-drive always matches what was previewed. */
  const [previewed, setPreviewed] = useState<(Selection & { asked: number }) | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<RedriveResult | null>(null);

  const stores = useQuery({
    queryKey: ['redrive-stores'],
    queryFn: ({ signal }) => apiFetch<StoreListResponse>('/api/inventory/redrive/stores', { signal }),
    staleTime: 5 * 60_000,
  });

  const preview = useQuery({
    queryKey: ['redrive-preview', previewed],
    queryFn: ({ signal }) => apiFetch<RedrivePreview>(previewUrl(previewed as Selection), { signal }),
    enabled: previewed !== null,
    retry: false,
    staleTime: Infinity,
  });

  const redrive = useMutation({
    mutationFn: (body: { storeId: string; skuPrefix?: string; includeLots: boolean; reason: string }) =>
      apiFetch<RedriveResult>('/api/inventory/redrive', { method: 'POST', body }),
    onSuccess: (done) => {
      setResult(done);
      setConfirming(false);
      setPreviewed(null);
      setReason('');
    },
  });

  const edit = <T,>(set: (value: T) => void) => (value: T) => {
    set(value);
    setPreviewed(null);
    setResult(null);
    redrive.reset();
  };

  const submitPreview = (event: FormEvent) => {
    event.preventDefault();
    setResult(null);
    if (!storeId) {
      setStoreError('Choose a store: a re-drive covers one store at a time.');
      return;
    }
    setStoreError(null);
    // `asked` makes every click a fresh count.
    setPreviewed({ storeId, skuPrefix: skuPrefix.trim(), includeLots, asked: Date.now() });
  };

  const openConfirm = () => {
    if (!reason.trim()) {
      setReasonError('A reason is required; it goes into the audit log.');
      return;
    }
    setReasonError(null);
    redrive.reset();
    setConfirming(true);
  };

  const ready = preview.data && previewed && preview.data.total > 0 && !preview.data.overCap ? preview.data : null;

  return (
    <section aria-labelledby={`${id}-title`} className="mt-8 space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <div>
        <h2 id={`${id}-title`} className="text-lg font-semibold">
          Re-drive rows
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Recovery by touch: bumps <code>updated_at</code> on a store&apos;s rows so they flow through the whole change stream again (relay, Kafka,
          every sub-processor). Stock is not changed. Audited with your reason.
        </p>
      </div>

      {stores.isError ? (
        <ErrorState title="Could not load the stores" error={stores.error} onRetry={() => void stores.refetch()} />
      ) : (
        <form onSubmit={submitPreview} noValidate aria-label="Re-drive selection" className="space-y-3">
          <div className="grid gap-3 md:grid-cols-[20rem_14rem_auto]">
            <div>
              <label htmlFor={`${id}-store`} className="block text-sm font-medium">
                Store
              </label>
              <select
                id={`${id}-store`}
                value={storeId}
                onChange={(e) => edit(setStoreId)(e.target.value)}
                disabled={stores.isPending}
                aria-invalid={Boolean(storeError)}
                aria-describedby={storeError ? `${id}-store-error` : undefined}
                className={`mt-1 w-full rounded border bg-white px-2.5 py-1.5 text-sm ${storeError ? 'border-red-600 ring-1 ring-red-600' : 'border-slate-300'}`}
              >
                <option value="">{stores.isPending ? 'Loading stores…' : 'Choose a store…'}</option>
                {stores.data?.stores.map((store) => (
                  <option key={store.storeId} value={store.storeId}>
                    {store.storeId} · {store.name}, {store.city}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor={`${id}-prefix`} className="block text-sm font-medium">
                SKU prefix <span className="font-normal text-slate-600">(optional)</span>
              </label>
              <input
                id={`${id}-prefix`}
                value={skuPrefix}
                onChange={(e) => edit(setSkuPrefix)(e.target.value)}
                maxLength={64}
                autoComplete="off"
                spellCheck={false}
                aria-describedby={`${id}-prefix-hint`}
                placeholder="e.g. PRD-"
                className="mt-1 w-full rounded border border-slate-300 bg-white px-2.5 py-1.5 font-mono text-sm"
              />
            </div>
            <label className="flex items-center gap-2 self-end pb-1.5 text-sm">
              <input type="checkbox" checked={includeLots} onChange={(e) => edit(setIncludeLots)(e.target.checked)} />
              Include lots
            </label>
          </div>
          <p id={`${id}-prefix-hint`} className="-mt-1 text-xs text-slate-600">
            Case-sensitive and literal (% and _ are plain characters). Empty re-drives every SKU of the store.
          </p>
          {storeError && (
            <p id={`${id}-store-error`} className="text-sm text-red-700">
              <span aria-hidden="true">✕ </span>
              {storeError}
            </p>
          )}
          <div>
            <label htmlFor={`${id}-reason`} className="block text-sm font-medium">
              Reason <span className="font-normal text-slate-600">(required, audited)</span>
            </label>
            <textarea
              id={`${id}-reason`}
              value={reason}
              onChange={(e) => {
                setReason(e.target.value);
                setReasonError(null);
              }}
              rows={2}
              maxLength={500}
              aria-invalid={Boolean(reasonError)}
              aria-describedby={reasonError ? `${id}-reason-error` : undefined}
              placeholder="e.g. availability-sync fix deployed; re-drive NY-102 produce"
              className={`mt-1 w-full rounded border bg-white px-2.5 py-1.5 text-sm ${reasonError ? 'border-red-600 ring-1 ring-red-600' : 'border-slate-300'}`}
            />
            {reasonError && (
              <p id={`${id}-reason-error`} className="mt-1 text-sm text-red-700">
                <span aria-hidden="true">✕ </span>
                {reasonError}
              </p>
            )}
          </div>
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" disabled={stores.isPending} loading={preview.isFetching} loadingText="Counting…">
              Preview
            </Button>
            {ready && (
              <Button variant="primary" onClick={openConfirm}>
                Re-drive {rows(ready.total)}
              </Button>
            )}
          </div>
        </form>
      )}

      {previewed && <PreviewText preview={preview.data} error={preview.error} loading={preview.isFetching} />}

      {result && (
        <p role="status" className="rounded border border-emerald-300 bg-emerald-50 p-2 text-sm text-emerald-900">
          <span aria-hidden="true">✓ </span>
          Re-drove {rows(result.total)} ({describe(result)}): {formatCount(result.levels)} levels, {formatCount(result.lots)} lots, in{' '}
          {result.batches} {result.batches === 1 ? 'batch' : 'batches'}. Audit entry #{result.auditId}.
        </p>
      )}

      <ConfirmDialog
        open={confirming}
        title={ready ? `Re-drive ${rows(ready.total)}?` : 'Re-drive rows?'}
        confirmLabel={ready ? `Re-drive ${rows(ready.total)}` : 'Re-drive'}
        pending={redrive.isPending}
        error={redrive.error?.message ?? null}
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          if (!previewed) return;
          redrive.mutate({ storeId: previewed.storeId, ...(previewed.skuPrefix ? { skuPrefix: previewed.skuPrefix } : {}), includeLots: previewed.includeLots, reason: reason.trim() });
        }}
      >
        {ready && (
          <div className="space-y-2">
            <p>
              Bumps <code>updated_at</code> on {rows(ready.total)} ({describe(ready)}). Every sub-processor sees them again as new changes; a large re-drive
              shows up as consumer lag above for a while.
            </p>
            <p>
              Reason: <q>{reason.trim()}</q>
            </p>
          </div>
        )}
      </ConfirmDialog>
    </section>
  );
}

function PreviewText({ preview, error, loading }: { preview: RedrivePreview | undefined; error: Error | null; loading: boolean }) {
  if (loading) {
    return (
      <p role="status" aria-busy="true" className="text-sm text-slate-700">
        Counting matching rows…
      </p>
    );
  }
  if (error) {
    return (
      <p role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm text-red-800">
        <span aria-hidden="true">✕ </span>
        The preview failed: {error.message}
      </p>
    );
  }
  if (!preview) return null;
  if (preview.total === 0) {
    return (
      <p role="status" className="rounded border border-dashed border-slate-300 p-2 text-sm text-slate-700">
        No rows match ({describe(preview)}); there is nothing to re-drive. SKU prefixes are case-sensitive.
      </p>
    );
  }
  const split = preview.lots === null ? '' : ` (${formatCount(preview.levels)} levels, ${formatCount(preview.lots)} lots)`;
  if (preview.overCap) {
    return (
      <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-950">
        <span aria-hidden="true">⚠ </span>
        {rows(preview.total)} match{split}; one re-drive takes at most {rows(preview.max)}. Narrow the selection with a longer SKU prefix, or leave out
        lots. From a shell, <code>npm run touch</code> takes larger selections with <code>--limit</code>.
      </p>
    );
  }
  return (
    <p role="status" data-testid="redrive-preview" className="text-sm text-slate-800">
      <strong>{rows(preview.total)}</strong> would be re-driven{split}: {describe(preview)}.
    </p>
  );
}
