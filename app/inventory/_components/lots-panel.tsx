'use client';

import { useCanChange } from '@/components/can-change.tsx';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { ApiError, apiFetch } from '@/components/api-client.ts';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { formatCount, formatShortDateTime } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import type { LotListResponse, LotRow } from '@/server/inventory/search.ts';
import type { LotReceivedResponse, LotWrittenOffResponse } from '@/server/inventory/stock-responses.ts';
import { describeDaysToExpiry } from './reasons.ts';

function LotStatus({ lot }: { lot: LotRow }) {
  if (lot.writtenOff) {
    return (
      <span className="inline-flex items-center gap-1 text-xs font-medium text-slate-700" title={`Written off ${formatShortDateTime(lot.writtenOff.at)}`}>
        <span aria-hidden="true">⊘</span> Written off ({lot.writtenOff.quantity})
      </span>
    );
  }
  if (lot.quantity === 0) {
    return (
      <span className="inline-flex items-center gap-1 text-xs font-medium text-slate-700">
        <span aria-hidden="true">○</span> Empty
      </span>
    );
  }
  if (lot.expired) {
    return (
      <span className="inline-flex items-center gap-1 rounded border border-red-300 bg-red-50 px-1 text-xs font-medium text-red-800">
        <span aria-hidden="true">⚠</span> Expired
      </span>
    );
  }
  if (lot.daysToExpiry <= 2) {
    return (
      <span className="inline-flex items-center gap-1 rounded border border-amber-300 bg-amber-50 px-1 text-xs font-medium text-amber-900">
        <span aria-hidden="true">◔</span> Expiring soon
      </span>
    );
  }
  return (
    <span className="inline-flex items-center gap-1 text-xs font-medium text-emerald-800">
      <span aria-hidden="true">✓</span> Good
    </span>
  );
}

/** A store × SKU's lots with expiry, receiving a new lot, and writing a lot off (both audited server-side). */
export function LotsPanel({ storeId, sku, onChanged }: { storeId: string; sku: string; onChanged: (adjustmentId?: string) => void }) {
  const id = useId();
  const lots = useQuery({
    queryKey: ['inventory', 'lots', storeId, sku],
    queryFn: ({ signal }) => apiFetch<LotListResponse>(`/api/inventory/lots?${new URLSearchParams({ store: storeId, sku })}`, { signal }),
  });
  const [writingOff, setWritingOff] = useState<LotRow | null>(null);
  const [writeOffReason, setWriteOffReason] = useState<'expire' | 'damage'>('expire');
  const canChange = useCanChange();
  const writeOff = useMutation({
    mutationFn: ({ lotId, note }: { lotId: string; note: string }) =>
      apiFetch<LotWrittenOffResponse>(`/api/inventory/lots/${encodeURIComponent(lotId)}/write-off`, { method: 'POST', body: { reason: writeOffReason, note } }),
    onSuccess: () => {
      setWritingOff(null);
      onChanged();
    },
  });

  const columns: Column<LotRow>[] = [
    { id: 'lot', header: 'Lot', className: 'break-all font-mono text-xs', cell: (lot) => lot.lotId },
    { id: 'qty', header: 'Qty', align: 'right', className: 'tabular-nums', cell: (lot) => formatCount(lot.quantity) },
    {
      id: 'expires',
      header: 'Expires',
      className: 'whitespace-nowrap',
      cell: (lot) => (
        <>
          <time dateTime={lot.expiresOn}>{lot.expiresOn}</time>
          <span className="block text-xs text-slate-600">{describeDaysToExpiry(lot.daysToExpiry)}</span>
        </>
      ),
    },
    { id: 'status', header: 'Status', cell: (lot) => <LotStatus lot={lot} /> },
    {
      id: 'actions',
      header: <span className="sr-only">Actions</span>,
      align: 'right',
      cell: (lot) =>
        lot.quantity > 0 &&
        canChange && (
          <Button
            size="xs"
            onClick={() => {
              writeOff.reset();
              setWriteOffReason(lot.expired ? 'expire' : 'damage');
              setWritingOff(lot);
            }}
            aria-label={`Write off lot ${lot.lotId}`}
          >
            Write off
          </Button>
        ),
    },
  ];

  return (
    <section aria-labelledby={`${id}-title`} className="space-y-2">
      <h3 id={`${id}-title`} className="font-semibold">
        Lots and expiry
      </h3>
      <DataTable
        columns={columns}
        rows={lots.data?.lots}
        rowKey={(lot) => lot.lotId}
        loading={lots.isPending}
        loadingRows={2}
        loadingLabel="Loading lots"
        error={lots.error}
        errorTitle="Could not load the lots"
        onRetry={() => void lots.refetch()}
        empty={<p className="rounded border border-dashed border-slate-300 p-3 text-sm text-slate-600">No lots for this item at this store. Receive a lot below to track its expiry.</p>}
        density="compact"
      />

      {canChange && <ReceiveLotForm storeId={storeId} sku={sku} onReceived={(adjustmentId) => onChanged(adjustmentId)} />}

      <ConfirmDialog
        open={writingOff !== null}
        title={`Write off lot ${writingOff?.lotId ?? ''}`}
        confirmLabel="Write off"
        reasonLabel="Note for the audit log"
        destructive
        pending={writeOff.isPending}
        error={writeOff.isError ? writeOff.error.message : null}
        onCancel={() => setWritingOff(null)}
        onConfirm={(note) => writingOff && writeOff.mutate({ lotId: writingOff.lotId, note })}
      >
        <p>
          All {writingOff?.quantity} left in this lot come off on-hand. This cannot be undone (receive a new lot instead).
        </p>
        <label htmlFor={`${id}-wo-reason`} className="mt-3 block font-medium">
          Reason
        </label>
        <select id={`${id}-wo-reason`} value={writeOffReason} onChange={(e) => setWriteOffReason(e.target.value as 'expire' | 'damage')} className="mt-1 w-full rounded border border-slate-300 px-2 py-1.5">
          <option value="expire">Expired</option>
          <option value="damage">Damaged</option>
        </select>
      </ConfirmDialog>
    </section>
  );
}

function ReceiveLotForm({ storeId, sku, onReceived }: { storeId: string; sku: string; onReceived: (adjustmentId: string) => void }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [quantity, setQuantity] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<{ quantity?: string; expiresOn?: string }>({});
  const receive = useMutation({
    mutationFn: (body: { storeId: string; sku: string; quantity: number; expiresOn: string; note?: string }) =>
      apiFetch<LotReceivedResponse>('/api/inventory/lots', { method: 'POST', body }),
    onSuccess: (result) => {
      setQuantity('');
      setExpiresOn('');
      setNote('');
      setOpen(false);
      onReceived(result.adjustmentId);
    },
  });
  const serverField = (field: 'quantity' | 'expiresOn') => (receive.error instanceof ApiError ? receive.error.fieldError(field) : undefined);
  const errorFor = (field: 'quantity' | 'expiresOn') => errors[field] ?? serverField(field);

  if (!open) {
    return (
      <Button size="sm" onClick={() => setOpen(true)}>
        Receive a lot…
      </Button>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next: typeof errors = {};
    if (!/^\d+$/.test(quantity.trim()) || Number(quantity) <= 0) next.quantity = 'Enter a whole number above zero.';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(expiresOn)) next.expiresOn = 'Choose the expiry date.';
    setErrors(next);
    if (Object.keys(next).length > 0) return;
    receive.mutate({ storeId, sku, quantity: Number(quantity), expiresOn, ...(note.trim() ? { note: note.trim() } : {}) });
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Receive a lot" className="space-y-2 rounded border border-slate-200 p-3">
      <div className="grid grid-cols-2 gap-3">
        <div>
          <label htmlFor={`${id}-qty`} className="block text-sm font-medium">
            Quantity received
          </label>
          <input id={`${id}-qty`} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} aria-invalid={Boolean(errorFor('quantity'))} aria-describedby={errorFor('quantity') ? `${id}-qty-error` : undefined} className="mt-1 w-full rounded border border-slate-300 px-2 py-1.5 text-sm" />
          {errorFor('quantity') && (
            <p id={`${id}-qty-error`} className="mt-1 text-sm text-red-700">
              <span aria-hidden="true">✕ </span>
              {errorFor('quantity')}
            </p>
          )}
        </div>
        <div>
          <label htmlFor={`${id}-exp`} className="block text-sm font-medium">
            Expires on
          </label>
          <input id={`${id}-exp`} type="date" value={expiresOn} onChange={(e) => setExpiresOn(e.target.value)} aria-invalid={Boolean(errorFor('expiresOn'))} aria-describedby={errorFor('expiresOn') ? `${id}-exp-error` : undefined} className="mt-1 w-full rounded border border-slate-300 px-2 py-1.5 text-sm" />
          {errorFor('expiresOn') && (
            <p id={`${id}-exp-error`} className="mt-1 text-sm text-red-700">
              <span aria-hidden="true">✕ </span>
              {errorFor('expiresOn')}
            </p>
          )}
        </div>
      </div>
      <div>
        <label htmlFor={`${id}-note`} className="block text-sm font-medium">
          Note <span className="font-normal text-slate-600">(optional)</span>
        </label>
        <input id={`${id}-note`} value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} className="mt-1 w-full rounded border border-slate-300 px-2 py-1.5 text-sm" />
      </div>
      {receive.isError && !serverField('quantity') && !serverField('expiresOn') && (
        <p role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm text-red-800">
          {receive.error.message}
        </p>
      )}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" loading={receive.isPending} loadingText="Receiving…">
          Receive lot
        </Button>
        <Button onClick={() => setOpen(false)}>Cancel</Button>
      </div>
    </form>
  );
}
