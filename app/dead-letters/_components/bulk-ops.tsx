'use client';

import Link from 'next/link';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { apiFetch, type Wire } from '@/components/api-client.ts';
import { formatDateTime, formatRate, plural } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import type { BulkOpView } from '@/server/stream/bulk-ops.ts';
import type { BulkOpListResponse, BulkOpPageResponse, BulkOpPreviewResponse, BulkOpResponse } from '@/server/stream/dead-letter-answers.ts';
import type { BulkSelectionBody } from '@/server/stream/requests.ts';

type BulkOp = Wire<BulkOpView>;

const RUNNING_MS = 1500;
const IDLE_MS = 10_000;

export interface BulkRequest {
  kind: 'replay' | 'discard';
  selection: BulkSelectionBody;
  /** What the selection is, in words, for the dialog. */
  describe: string;
}

function previewUrl(selection: BulkSelectionBody): string {
  const params = new URLSearchParams('ids' in selection ? { ids: selection.ids.join(',') } : selection.filter);
  return `/api/dead-letters/bulk-ops/preview?${params.toString()}`;
}

/**
 * The confirmation a bulk operation needs: the count it would take now (previewed), typed back by the operator,
 * and a reason (audited; a discard's resolution). Starting it answers at once: the op then runs in the worker.
 * Mounted per request (keyed by the parent), so each starts fresh.
 */
export function BulkStartDialog({ request, onClose }: { request: BulkRequest | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const id = useId();
  const [typed, setTyped] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const preview = useQuery({
    queryKey: ['dead-letters', 'bulk-preview', request ? previewUrl(request.selection) : null],
    queryFn: ({ signal }) => apiFetch<BulkOpPreviewResponse>(previewUrl(request!.selection), { signal }),
    enabled: request !== null,
    staleTime: 0,
    gcTime: 0,
  });
  const start = useMutation({
    mutationFn: (reason: string) =>
      apiFetch<BulkOpResponse>('/api/dead-letters/bulk-ops', {
        method: 'POST',
        body: { kind: request!.kind, selection: request!.selection, reason, confirmedCount: preview.data!.count },
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['dead-letters'] });
      onClose();
    },
  });

  const count = preview.data?.count ?? null;
  const verb = request?.kind === 'discard' ? 'Discard' : 'Replay';
  return (
    <ConfirmDialog
      open={request !== null}
      title={`${verb} ${request?.describe ?? ''}?`}
      confirmLabel={count ? `${verb} ${plural(count, 'entry', 'entries')}` : verb}
      reasonLabel={request?.kind === 'discard' ? 'Reason (the resolution of every entry; audited)' : 'Reason (audited)'}
      destructive={request?.kind === 'discard'}
      pending={preview.isPending || start.isPending}
      error={preview.error?.message ?? start.error?.message ?? (mismatch ? `Type ${count ?? ''} exactly to confirm.` : null)}
      onConfirm={(reason) => {
        if (count === null || count === 0) return;
        if (typed.trim() !== String(count)) {
          setMismatch(true);
          return;
        }
        start.mutate(reason);
      }}
      onCancel={onClose}
    >
      {preview.isPending ? (
        <p>Counting the pending entries…</p>
      ) : count === 0 ? (
        <p>No pending entries match: there is nothing to {verb.toLowerCase()}.</p>
      ) : count !== null ? (
        <div className="space-y-2">
          <p data-testid="bulk-preview-count">
            <strong>{plural(count, 'pending entry', 'pending entries')}</strong> will be {request?.kind === 'discard' ? 'discarded' : 'replayed'} in the
            background, oldest first, at about {preview.data?.defaultRatePerSecond} per second. It carries on if you leave this page; you can cancel it
            from the list, and what it did stays done.
          </p>
          <label htmlFor={`${id}-typed`} className="block font-medium text-slate-900">
            Type {count} to confirm
          </label>
          <input
            id={`${id}-typed`}
            inputMode="numeric"
            autoComplete="off"
            value={typed}
            onChange={(event) => {
              setTyped(event.target.value);
              setMismatch(false);
            }}
            className="w-32 rounded border border-slate-300 px-2 py-1 text-sm tabular-nums"
          />
        </div>
      ) : null}
    </ConfirmDialog>
  );
}

const STATUS_STYLE: Record<BulkOp['status'], string> = {
  running: 'bg-blue-100 text-blue-900',
  finished: 'bg-green-100 text-green-900',
  cancelled: 'bg-amber-100 text-amber-950',
  failed: 'bg-red-100 text-red-900',
};

function BulkOpResults({ op, hrefFor }: { op: BulkOp; hrefFor: (id: string) => string }) {
  const results = useQuery({
    queryKey: ['dead-letters', 'bulk-op', op.id, op.done],
    queryFn: ({ signal }) => apiFetch<BulkOpPageResponse>(`/api/dead-letters/bulk-ops/${op.id}?limit=200`, { signal }),
  });
  if (results.isPending) return <SkeletonRows rows={3} label="Loading results" />;
  if (results.isError) return <ErrorState title="Could not load the results" error={results.error} onRetry={() => void results.refetch()} />;
  if (results.data.results.length === 0) return <p className="text-sm text-slate-600">No entry processed yet.</p>;
  return (
    <ol aria-label={`Results of bulk operation ${op.id}`} className="max-h-64 space-y-1 overflow-y-auto border-t border-slate-100 pt-2 text-sm">
      {results.data.results.map((row) => (
        <li key={row.deadLetterId} className="break-words">
          <Link href={hrefFor(row.deadLetterId)} scroll={false} className="font-mono font-medium text-blue-800 hover:underline">
            #{row.deadLetterId}
          </Link>
          : <span className="font-medium">{row.result}</span>
          {row.detail ? ` — ${row.detail}` : ''}
        </li>
      ))}
      {results.data.nextAfter && <li className="text-slate-600">… the first 200 shown.</li>}
    </ol>
  );
}

function BulkOpCard({ op, canChange, hrefFor }: { op: BulkOp; canChange: boolean; hrefFor: (id: string) => string }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const cancel = useMutation({
    mutationFn: () => apiFetch<BulkOpResponse>(`/api/dead-letters/bulk-ops/${op.id}/cancel`, { method: 'POST', body: {} }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['dead-letters'] }),
  });
  const total = Math.max(op.total, op.done);
  const percent = total === 0 ? 100 : Math.round((op.done / total) * 100);
  const label = op.status === 'running' && op.cancelling ? 'cancelling' : op.status;
  return (
    <li data-testid="bulk-op" data-op-id={op.id} className="space-y-2 rounded border border-slate-200 p-3">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-semibold capitalize">{op.kind}</span>
        <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${STATUS_STYLE[op.status]}`}>{label}</span>
        <span className="text-slate-600">
          by {op.startedBy} · {formatDateTime(op.createdAt)} · “{op.reason}” ·{' '}
          <a href={op.workflowUrl} target="_blank" rel="noopener noreferrer" className="text-blue-700 underline-offset-2 hover:underline">
            workflow (latest run)<span aria-hidden="true"> ↗</span>
          </a>
        </span>
        <span className="ml-auto flex gap-2">
          <Button size="xs" onClick={() => setOpen(!open)} aria-expanded={open}>
            {open ? 'Hide results' : 'Results'}
          </Button>
          {canChange && op.status === 'running' && !op.cancelling && (
            <Button variant="danger-outline" size="xs" onClick={() => cancel.mutate()} loading={cancel.isPending} loadingText="Cancelling…">
              Cancel
            </Button>
          )}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={`Bulk ${op.kind} ${op.id} progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% (${op.done} of ${total})`}
        className="h-2.5 w-full overflow-hidden rounded bg-slate-200"
      >
        <div className="h-full bg-slate-900 transition-[width]" style={{ width: `${percent}%` }} />
      </div>
      <p className="text-sm tabular-nums text-slate-700" data-testid="bulk-op-counts">
        {op.done} of {total} done · {op.succeeded} {op.kind === 'discard' ? 'discarded' : 'replayed'} · {op.superseded} superseded · {op.failed} failed ·{' '}
        {op.skipped} skipped · {formatRate(op.rate)} entries/s
      </p>
      {op.error && <p className="text-sm text-red-800">{op.error}</p>}
      {cancel.isError && (
        <p role="alert" className="text-sm text-red-800">
          Cancel refused: {cancel.error.message}
        </p>
      )}
      {open && <BulkOpResults op={op} hrefFor={hrefFor} />}
    </li>
  );
}

/** Running and recent bulk operations, live: polled fast while one runs, slowly otherwise. */
export function BulkOpsPanel({ canChange, hrefFor }: { canChange: boolean; hrefFor: (id: string) => string }) {
  const ops = useQuery({
    queryKey: ['dead-letters', 'bulk-ops'],
    queryFn: ({ signal }) => apiFetch<BulkOpListResponse>('/api/dead-letters/bulk-ops', { signal }),
    refetchInterval: (query) => (query.state.data?.ops.some((op) => op.status === 'running') ? RUNNING_MS : IDLE_MS),
    refetchIntervalInBackground: false,
  });
  return (
    <section aria-labelledby="bulk-ops-title" className="space-y-2 rounded-lg border border-slate-300 bg-white p-4">
      <h2 id="bulk-ops-title" className="font-semibold">
        Bulk operations
      </h2>
      {ops.isPending ? (
        <SkeletonRows rows={2} label="Loading bulk operations" />
      ) : ops.isError && !ops.data ? (
        <ErrorState title="Could not load bulk operations" error={ops.error} onRetry={() => void ops.refetch()} />
      ) : ops.data.ops.length === 0 ? (
        <EmptyState title="No bulk operations yet">
          {canChange ? 'Replay or discard many entries at once from the buttons above; they run in the background and show here.' : 'None has been started.'}
        </EmptyState>
      ) : (
        <ul aria-label="Bulk operations" className="space-y-2">
          {ops.data.ops.map((op) => (
            <BulkOpCard key={op.id} op={op} canChange={canChange} hrefFor={hrefFor} />
          ))}
        </ul>
      )}
    </section>
  );
}
