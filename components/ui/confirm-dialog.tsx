'use client';

import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

/**
 * A modal confirmation built on <dialog> (focus trap and Escape come from the browser). When `reasonLabel` is
 * given, the action needs a non-empty reason, which is passed to onConfirm.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  reasonLabel,
  destructive = false,
  pending = false,
  error,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  reasonLabel?: string;
  destructive?: boolean;
  pending?: boolean;
  error?: string | null;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const id = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setReason('');
      setTouched(false);
      dialog.showModal();
    } else if (!open && dialog.open) dialog.close();
  }, [open]);

  const reasonMissing = reasonLabel !== undefined && reason.trim().length === 0;
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault();
        if (!pending) onCancel();
      }}
      className="m-auto w-full max-w-md rounded-lg border border-slate-300 p-0 shadow-xl backdrop:bg-slate-900/40"
    >
      <form
        method="dialog"
        className="space-y-4 p-5"
        onSubmit={(event) => {
          event.preventDefault();
          setTouched(true);
          if (!reasonMissing) onConfirm(reason.trim());
        }}
      >
        <h2 id={`${id}-title`} className="text-lg font-semibold">
          {title}
        </h2>
        {children && <div className="text-sm text-slate-700">{children}</div>}
        {reasonLabel !== undefined && (
          <div>
            <label htmlFor={`${id}-reason`} className="block text-sm font-medium">
              {reasonLabel}
            </label>
            <textarea
              id={`${id}-reason`}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              rows={3}
              maxLength={500}
              aria-invalid={touched && reasonMissing}
              aria-describedby={touched && reasonMissing ? `${id}-reason-error` : undefined}
              className="mt-1 w-full rounded border border-slate-300 px-3 py-2 text-sm"
            />
            {touched && reasonMissing && (
              <p id={`${id}-reason-error`} className="mt-1 text-sm text-red-700">
                A reason is required; it goes into the audit log.
              </p>
            )}
          </div>
        )}
        {error && (
          <p role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm text-red-800">
            {error}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <button type="button" onClick={onCancel} disabled={pending} className="rounded border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100">
            Cancel
          </button>
          <button
            type="submit"
            disabled={pending}
            className={`rounded px-3 py-1.5 text-sm font-medium text-white disabled:opacity-60 ${destructive ? 'bg-red-700 hover:bg-red-800' : 'bg-slate-900 hover:bg-slate-700'}`}
          >
            {pending ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
