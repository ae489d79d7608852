'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { apiFetch, ApiError, type Wire } from '@/components/api-client.ts';
import { formatCount, formatDateTime } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import { ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import type { DeadLetterDetailResponse, DeadLetterDiscardResponse, DeadLetterReplayResponse } from '@/server/stream/dead-letter-answers.ts';
import type { ReplayResult } from '@/server/stream/dead-letter-replay.ts';
import { traceOffsetHref } from '@/server/stream/trace-links.ts';
import { prettyJson } from './pretty-json.ts';
import { ReplayResultText } from './replay-result.tsx';
import { StateBadge } from './state-badge.tsx';
import { SupersededNote } from './superseded-note.tsx';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-0.5 break-words text-sm">{children}</dd>
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="space-y-2">
      <h3 id={id} className="text-sm font-semibold text-slate-800">
        {title}
      </h3>
      {children}
    </section>
  );
}

/** How many bytes a base64 text holds. */
const base64Bytes = (base64: string) => (base64.length / 4) * 3 - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);

const HEADER_COLUMNS: Column<[string, string]>[] = [
  { id: 'name', header: 'Header', rowHeader: true, className: 'font-mono font-medium whitespace-nowrap', cell: ([name]) => name },
  { id: 'value', header: 'Value', className: 'font-mono break-all', cell: ([, value]) => value },
];

const pre = 'max-h-72 overflow-auto rounded border border-slate-200 bg-slate-50 p-2 font-mono text-xs whitespace-pre-wrap break-all';

/** Side panel with everything about one entry, and its actions. Keyed by id by its parent, so each entry starts fresh. */
export function DeadLetterDetailPanel({ id, onClose, canChange = true }: { id: string; onClose: () => void; canChange?: boolean }) {
  const queryClient = useQueryClient();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [discardOpen, setDiscardOpen] = useState(false);
  const [lastReplay, setLastReplay] = useState<Wire<ReplayResult> | null>(null);

  const detail = useQuery({
    queryKey: ['dead-letters', 'detail', id],
    queryFn: ({ signal }) => apiFetch<DeadLetterDetailResponse>(`/api/dead-letters/${encodeURIComponent(id)}`, { signal }),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 1,
  });

  useEffect(() => {
    headingRef.current?.focus();
  }, [id]);

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['dead-letters'] });
  };

  const replay = useMutation({
    mutationFn: () => apiFetch<DeadLetterReplayResponse>(`/api/dead-letters/${id}/replay`, { method: 'POST', body: {} }),
    onSuccess: async ({ result, entry }) => {
      setLastReplay(result);
      queryClient.setQueryData(['dead-letters', 'detail', id], entry);
      await refresh();
    },
  });

  const discard = useMutation({
    mutationFn: (reason: string) => apiFetch<DeadLetterDiscardResponse>(`/api/dead-letters/${id}/discard`, { method: 'POST', body: { reason } }),
    onSuccess: async ({ entry }) => {
      setDiscardOpen(false);
      queryClient.setQueryData(['dead-letters', 'detail', id], entry);
      await refresh();
    },
  });

  const entry = detail.data;
  return (
    <aside
      aria-labelledby="dl-detail-title"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && !discardOpen) onClose();
      }}
      className="fixed inset-y-0 right-0 z-20 flex w-full max-w-2xl flex-col border-l border-slate-300 bg-white shadow-2xl"
    >
      <div className="flex items-center gap-3 border-b border-slate-200 px-4 py-3">
        <h2 id="dl-detail-title" ref={headingRef} tabIndex={-1} className="text-lg font-semibold">
          Dead letter #{id}
        </h2>
        {entry && <StateBadge state={entry.status} />}
        <Button size="sm" onClick={onClose} className="ml-auto">
          Close<span className="sr-only"> dead letter details</span>
        </Button>
      </div>
      <div className="flex-1 space-y-5 overflow-y-auto px-4 py-4">
        {detail.isPending ? (
          <SkeletonRows rows={8} label="Loading the dead letter" />
        ) : detail.isError ? (
          <ErrorState title="Could not load this dead letter" error={detail.error} onRetry={() => void detail.refetch()} />
        ) : entry ? (
          <>
            {canChange && entry.status === 'pending' && (
              <div className="space-y-2">
                <div className="flex flex-wrap gap-2">
                  <Button variant="primary" onClick={() => replay.mutate()} loading={replay.isPending} loadingText="Replaying…">
                    Replay
                  </Button>
                  <Button
                    variant="danger-outline"
                    onClick={() => {
                      discard.reset();
                      setDiscardOpen(true);
                    }}
                  >
                    Discard…
                  </Button>
                </div>
                <p className="text-xs text-slate-600">
                  Replay re-runs only <code>{entry.subProcessor === 'decode' ? 'every sub-processor of the table' : entry.subProcessor}</code> for this
                  message. If a newer version of the row has been processed since, the entry becomes <em>superseded</em> and is not applied.
                </p>
              </div>
            )}
            {replay.isError && (
              <p role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm text-red-800">
                Replay refused: {replay.error.message}
              </p>
            )}
            {lastReplay && (
              <p role="status" className="rounded border border-slate-200 bg-slate-50 p-2 text-sm">
                Replay result: <ReplayResultText result={lastReplay} />
              </p>
            )}

            {entry.status !== 'pending' && (
              <Section title="Resolution">
                {entry.status === 'superseded' && <SupersededNote subProcessor={entry.subProcessor} rowKey={entry.rowKey} />}
                <dl className="grid grid-cols-2 gap-3">
                  <Field label="State">
                    <StateBadge state={entry.status} />
                  </Field>
                  <Field label="By">{entry.resolvedBy ?? '—'}</Field>
                  <Field label="When">{formatDateTime(entry.resolvedAt)}</Field>
                  <Field label="Replays">{entry.replayAttempts}</Field>
                </dl>
                <Field label={entry.status === 'discarded' ? 'Reason' : 'What the replay found'}>
                  <span className="whitespace-pre-wrap">{entry.resolution ?? '—'}</span>
                </Field>
              </Section>
            )}

            <Section title="Error">
              <p className="rounded border border-red-200 bg-red-50 p-2 font-mono text-xs break-words text-red-900">{entry.errorMessage}</p>
              {entry.errorStack ? (
                <details>
                  <summary className="cursor-pointer text-sm font-medium">Stack trace</summary>
                  <pre className={`${pre} mt-1`}>{entry.errorStack}</pre>
                </details>
              ) : (
                <p className="text-xs text-slate-500">No stack trace was recorded.</p>
              )}
            </Section>

            <Section title="Where it came from">
              <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3">
                <Field label="Sub-processor">
                  <code>{entry.subProcessor}</code>
                </Field>
                <Field label="Stage">{entry.stage}</Field>
                <Field label="Table">{entry.tableName ?? '—'}</Field>
                <Field label="Row key">
                  <code className="break-all">{entry.rowKey ?? '—'}</code>
                </Field>
                <Field label="Original topic">
                  <code>{entry.topic}</code>
                </Field>
                <Field label="Partition">{entry.partition}</Field>
                <Field label="Offset">{entry.offset}</Field>
                <Field label="Message key">
                  <code className="break-all">{entry.messageKeyBase64 === null ? (entry.messageKey ?? '—') : `binary, base64: ${entry.messageKeyBase64}`}</code>
                </Field>
                <Field label="Changefeed updated">
                  <code className="break-all">{entry.updated ?? '—'}</code>
                </Field>
                <Field label="Attempts">{entry.attempts}</Field>
                <Field label="First failed">{formatDateTime(entry.firstFailedAt)}</Field>
                <Field label="Last failed">{formatDateTime(entry.lastFailedAt)}</Field>
                <Field label="Replay attempts">{entry.replayAttempts}</Field>
                <Field label="DLQ copy">{entry.dlqProducedAt ? `produced ${formatDateTime(entry.dlqProducedAt)}` : 'not produced yet'}</Field>
                {entry.workflowId && (
                  <Field label="Workflow run">
                    <code className="break-all">
                      {entry.workflowId}
                      {entry.runId ? ` / ${entry.runId}` : ''}
                    </code>
                  </Field>
                )}
              </dl>
              <a href={traceOffsetHref(entry)} className="text-sm font-medium text-sky-800 underline underline-offset-2 hover:text-sky-950">
                Trace this change
              </a>
              <span className="text-sm text-slate-600"> (row change, offset, every sub-processor, the workflow run, replays)</span>
            </Section>

            <Section title="Payload">
              {entry.payloadBase64 !== null && entry.payloadByteLength !== null ? (
                <>
                  <p className="text-sm text-slate-700">
                    Binary payload, {formatCount(entry.payloadByteLength)} bytes: not storable as text, so the raw bytes are kept. Shown as base64
                    {base64Bytes(entry.payloadBase64) < entry.payloadByteLength ? ` (the first ${formatCount(base64Bytes(entry.payloadBase64))} bytes)` : ''}.
                  </p>
                  <pre className={pre}>{entry.payloadBase64}</pre>
                  <details>
                    <summary className="cursor-pointer text-sm font-medium">As stored text</summary>
                    <pre className={`${pre} mt-1`}>{entry.payload}</pre>
                  </details>
                </>
              ) : (
                <pre className={pre}>{prettyJson(entry.payload).text || '(empty)'}</pre>
              )}
            </Section>

            <Section title="Headers">
              {Object.keys(entry.headers).length === 0 ? (
                <p className="text-sm text-slate-600">No headers.</p>
              ) : (
                <DataTable columns={HEADER_COLUMNS} rows={Object.entries(entry.headers)} rowKey={([name]) => name} caption="Message headers" density="compact" tableClassName="text-xs" />
              )}
            </Section>
          </>
        ) : null}
      </div>
      <ConfirmDialog
        open={discardOpen}
        title={`Discard dead letter #${id}?`}
        confirmLabel="Discard"
        reasonLabel="Why discard it? (required, audited)"
        destructive
        pending={discard.isPending}
        error={discard.isError ? discard.error.message : null}
        onConfirm={(reason) => discard.mutate(reason)}
        onCancel={() => setDiscardOpen(false)}
      >
        The message will not be replayed. It stays in the list as discarded, with your reason.
      </ConfirmDialog>
    </aside>
  );
}
