'use client';

import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { ApiError, apiFetch } from '@/components/api-client.ts';
import { Button } from '@/components/ui/button.tsx';
import type { StockAdjustedResponse } from '@/server/inventory/stock-responses.ts';
import { ADDS_ONLY, REASON_LABELS, REMOVES_ONLY } from './reasons.ts';

type Field = 'delta' | 'reason' | 'note';
type FieldErrors = Partial<Record<Field, string>>;

/** The same rules as the server's stockAdjustmentSchema, checked before sending. */
export function validateAdjustment(input: { delta: string; reason: string; note: string }): FieldErrors {
  const errors: FieldErrors = {};
  const text = input.delta.trim();
  if (text === '') errors.delta = 'Enter how many to add (e.g. 5) or remove (e.g. -3).';
  else if (!/^[+-]?\d+$/.test(text)) errors.delta = 'The quantity must be a whole number, e.g. 5 or -3.';
  else {
    const delta = Number(text);
    if (delta === 0) errors.delta = 'The quantity must not be zero.';
    else if (Math.abs(delta) > 100_000) errors.delta = 'The quantity is implausibly large.';
    else if (ADDS_ONLY.has(input.reason) && delta < 0) errors.delta = `“${input.reason}” can only add stock: use a positive number.`;
    else if (REMOVES_ONLY.has(input.reason) && delta > 0) errors.delta = `“${input.reason}” can only remove stock: use a negative number.`;
  }
  if (!input.reason) errors.reason = 'Choose a reason; it goes into the audit log.';
  if (input.note.trim().length > 500) errors.note = 'The note is limited to 500 characters.';
  return errors;
}

/** Server errors, placed next to the field they are about. */
function serverErrors(error: unknown): { fields: FieldErrors; form?: string } {
  if (!(error instanceof ApiError)) return { fields: {}, form: 'The adjustment could not be sent. Retry.' };
  if (error.status === 422) {
    const fields: FieldErrors = { delta: error.fieldError('delta'), reason: error.fieldError('reason'), note: error.fieldError('note') };
    const placed = Object.values(fields).some(Boolean);
    return { fields, form: placed ? undefined : error.message };
  }
  // Not enough stock is about the quantity asked for.
  if (error.status === 409) return { fields: { delta: error.message } };
  return { fields: {}, form: error.message };
}

export function AdjustForm({ storeId, sku, onAdjusted }: { storeId: string; sku: string; onAdjusted: (adjustmentId: string) => void }) {
  const id = useId();
  const [delta, setDelta] = useState('');
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const [lastResult, setLastResult] = useState<StockAdjustedResponse | null>(null);

  const mutation = useMutation({
    mutationFn: (body: { storeId: string; sku: string; delta: number; reason: string; note?: string }) =>
      apiFetch<StockAdjustedResponse>('/api/inventory/adjustments', { method: 'POST', body }),
    onSuccess: (result) => {
      setLastResult(result);
      setDelta('');
      setNote('');
      onAdjusted(result.adjustmentId);
    },
  });

  const fromServer = mutation.isError ? serverErrors(mutation.error) : { fields: {} as FieldErrors };
  const errorFor = (field: Field) => clientErrors[field] ?? fromServer.fields[field];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const errors = validateAdjustment({ delta, reason, note });
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) {
      mutation.reset();
      return;
    }
    setLastResult(null);
    mutation.mutate({ storeId, sku, delta: Number(delta.trim()), reason, ...(note.trim() ? { note: note.trim() } : {}) });
  };

  const describedBy = (field: Field, hint?: string) => [hint, errorFor(field) ? `${id}-${field}-error` : undefined].filter(Boolean).join(' ') || undefined;
  const fieldClass = (field: Field) =>
    `mt-1 w-full rounded border bg-white px-2.5 py-1.5 text-sm ${errorFor(field) ? 'border-red-600 ring-1 ring-red-600' : 'border-slate-300'}`;

  return (
    <section aria-labelledby={`${id}-title`} className="space-y-2">
      <h3 id={`${id}-title`} className="font-semibold">
        Adjust stock
      </h3>
      <form onSubmit={submit} noValidate className="space-y-3">
        <div className="grid grid-cols-[8rem_minmax(0,1fr)] gap-3">
          <div>
            <label htmlFor={`${id}-delta`} className="block text-sm font-medium">
              Quantity change
            </label>
            <input
              id={`${id}-delta`}
              inputMode="numeric"
              value={delta}
              onChange={(e) => setDelta(e.target.value)}
              aria-invalid={Boolean(errorFor('delta'))}
              aria-describedby={describedBy('delta', `${id}-delta-hint`)}
              placeholder="e.g. -3"
              autoComplete="off"
              className={`${fieldClass('delta')} tabular-nums`}
            />
          </div>
          <div>
            <label htmlFor={`${id}-reason`} className="block text-sm font-medium">
              Reason
            </label>
            <select
              id={`${id}-reason`}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-invalid={Boolean(errorFor('reason'))}
              aria-describedby={describedBy('reason')}
              className={fieldClass('reason')}
            >
              <option value="">Choose a reason…</option>
              {Object.entries(REASON_LABELS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <p id={`${id}-delta-hint`} className="-mt-2 text-xs text-slate-600">
          Positive adds stock, negative removes it.
        </p>
        {errorFor('delta') && (
          <p id={`${id}-delta-error`} className="text-sm text-red-700">
            <span aria-hidden="true">✕ </span>
            {errorFor('delta')}
          </p>
        )}
        {errorFor('reason') && (
          <p id={`${id}-reason-error`} className="text-sm text-red-700">
            <span aria-hidden="true">✕ </span>
            {errorFor('reason')}
          </p>
        )}
        <div>
          <label htmlFor={`${id}-note`} className="block text-sm font-medium">
            Note <span className="font-normal text-slate-600">(optional)</span>
          </label>
          <textarea
            id={`${id}-note`}
            value={note}
            onChange={(e) => setNote(e.target.value)}
            rows={2}
            maxLength={500}
            aria-invalid={Boolean(errorFor('note'))}
            aria-describedby={describedBy('note')}
            className={fieldClass('note')}
          />
          {errorFor('note') && (
            <p id={`${id}-note-error`} className="mt-1 text-sm text-red-700">
              <span aria-hidden="true">✕ </span>
              {errorFor('note')}
            </p>
          )}
        </div>
        {fromServer.form && (
          <p role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm text-red-800">
            {fromServer.form}
          </p>
        )}
        <div className="flex items-center gap-3">
          <Button type="submit" variant="primary" loading={mutation.isPending} loadingText="Saving…">
            Apply adjustment
          </Button>
          <p aria-live="polite" className="text-sm text-emerald-800">
            {lastResult && (
              <>
                <span aria-hidden="true">✓ </span>Saved: on hand is now {lastResult.onHand}.
              </>
            )}
          </p>
        </div>
      </form>
    </section>
  );
}
