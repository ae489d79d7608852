'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { ErrorState } from '@/components/ui/states.tsx';
import type { ChangeStep, DownstreamView, EffectSummary, SubProcessorStep, TraceStatus } from '@/server/inventory/downstream.ts';
import { formatClock, formatLatency } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';

/** Give up polling when nothing (or not everything) has arrived this long after the commit. */
export const DOWNSTREAM_TIMEOUT_MS = 30_000;
const POLL_MS = 1000;

type StepState = 'done' | 'waiting' | 'failed' | 'timed-out';

const OUTCOME_TEXT: Record<string, { icon: string; label: string; className: string }> = {
  signalled: { icon: '⧗', label: 'Queued', className: 'border-sky-300 bg-sky-50 text-sky-900' },
  applied: { icon: '✓', label: 'Applied', className: 'border-emerald-300 bg-emerald-50 text-emerald-900' },
  replayed: { icon: '↻', label: 'Replayed', className: 'border-emerald-300 bg-emerald-50 text-emerald-900' },
  ignored: { icon: '–', label: 'Ignored', className: 'border-slate-300 bg-slate-50 text-slate-800' },
  duplicate: { icon: '≡', label: 'Duplicate', className: 'border-slate-300 bg-slate-50 text-slate-800' },
  stale: { icon: '⌛', label: 'Stale', className: 'border-amber-300 bg-amber-50 text-amber-900' },
  dead_lettered: { icon: '✕', label: 'Dead-lettered', className: 'border-red-300 bg-red-50 text-red-900' },
};

const OUTCOME_HELP: Record<string, string> = {
  signalled: 'handed to its stream workflow',
  applied: 'acted on the change',
  replayed: 'acted on the change when an engineer replayed it',
  ignored: 'nothing to do for this change',
  duplicate: 'already handled this version (a redelivery)',
  stale: 'a newer version of this row was already handled',
  dead_lettered: 'failed after its retries; engineers can replay it from the dead-letter queue',
};

function useTicker(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/**
 * The live path of one stock change: row committed → Kafka offset → each sub-processor's outcome → the stream
 * workflows applying it. Polls while anything is pending or queued and the tab is visible; stops when every effect
 * is applied, when something failed and nothing else is on its way, or after the timeout.
 */
export function DownstreamSteps({ adjustmentId, onComplete }: { adjustmentId: string; onComplete?: () => void }) {
  const id = useId();
  // Moving the deadline (Check again) restarts polling for another timeout period.
  const [deadlineExtension, setDeadlineExtension] = useState(0);
  const query = useQuery({
    queryKey: ['inventory', 'downstream', adjustmentId],
    queryFn: ({ signal }) => apiFetch<DownstreamView>(`/api/inventory/adjustments/${adjustmentId}/downstream`, { signal }),
    refetchInterval: (q) => {
      const data = q.state.data;
      if (!data) return q.state.status === 'error' ? false : POLL_MS;
      return data.status !== 'waiting' || data.elapsedMs >= DOWNSTREAM_TIMEOUT_MS + deadlineExtension ? false : POLL_MS;
    },
    refetchIntervalInBackground: false,
    staleTime: 0,
  });
  const data = query.data;
  const status: TraceStatus = data?.status ?? 'waiting';
  const complete = status === 'done';
  const now = useTicker(Boolean(data) && status === 'waiting');
  const elapsedMs = data ? data.elapsedMs + Math.max(0, now - query.dataUpdatedAt) : 0;
  const timedOut = Boolean(data) && status === 'waiting' && data!.elapsedMs >= DOWNSTREAM_TIMEOUT_MS + deadlineExtension;
  const checkAgain = () => {
    setDeadlineExtension(data!.elapsedMs);
    void query.refetch();
  };

  const notified = useRef(false);
  useEffect(() => {
    if (complete && !notified.current) {
      notified.current = true;
      onComplete?.();
    }
  }, [complete, onComplete]);

  if (query.isError && !data) {
    return <ErrorState title="Could not load what happened downstream" error={query.error} onRetry={() => void query.refetch()} />;
  }

  const seconds = Math.floor(elapsedMs / 1000);
  const waiting: StepState = timedOut ? 'timed-out' : 'waiting';

  return (
    <section aria-labelledby={`${id}-title`} className="space-y-2 rounded border border-slate-200 p-3" data-testid="downstream">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 id={`${id}-title`} className="font-semibold">
          Downstream of change #{adjustmentId}
        </h3>
        <p aria-live="polite" className="text-xs text-slate-600">
          {!data ? 'Loading…' : status === 'expired' ? (
            <span className="font-medium text-slate-700">Trace expired</span>
          ) : complete ? (
            <span className="font-medium text-emerald-800">
              <span aria-hidden="true">✓ </span>All steps done
            </span>
          ) : status === 'failed' ? (
            <span className="font-medium text-red-800">
              <span aria-hidden="true">✕ </span>Failed: dead-lettered
            </span>
          ) : timedOut ? (
            <span className="font-medium text-amber-800">Stopped waiting after {Math.round((DOWNSTREAM_TIMEOUT_MS + deadlineExtension) / 1000)} s</span>
          ) : (
            <>Still waiting… ({seconds}s)</>
          )}
        </p>
      </div>

      {data?.expired && (
        <p role="status" className="rounded border border-slate-300 bg-slate-50 p-2 text-sm text-slate-800">
          {data.expired} The change itself is saved; only the record of its processing is gone.
        </p>
      )}

      {data && !data.expired && (
        <ol className="space-y-2 text-sm">
          <Step state="done" title="Row change committed">
            On hand now <strong className="tabular-nums">{data.adjustment.onHandAfter}</strong>
            {data.adjustment.rowUpdatedAt && (
              <>
                {' '}
                at <time dateTime={data.adjustment.rowUpdatedAt}>{formatClock(data.adjustment.rowUpdatedAt)}</time>
              </>
            )}{' '}
            <span className="text-slate-600">
              ({data.adjustment.delta > 0 ? '+' : ''}
              {data.adjustment.delta}, {data.adjustment.reason.replace('_', ' ')}, by {data.adjustment.actor})
            </span>
          </Step>
          {data.changes.map((change) => (
            <ChangeSteps key={change.table} change={change} waiting={waiting} multiple={data.changes.length > 1} />
          ))}
          <EffectsStep effects={data.effects} status={status} waiting={waiting} />
        </ol>
      )}

      {timedOut && (
        <div role="status" className="rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900">
          <p>
            <span aria-hidden="true">⚠ </span>
            {data!.changes.every((change) => change.updated === null)
              ? 'Nothing arrived from the change stream within 30 seconds.'
              : data!.changes.some((change) => change.subProcessors.some((sp) => sp.state === 'pending'))
                ? 'Some sub-processors have not reported within 30 seconds.'
                : 'A stream workflow has not applied the change within 30 seconds.'}{' '}
            The stock change itself is saved. The worker may be down or lagging; an engineer can check Pipeline health.
          </p>
          <Button size="sm" onClick={checkAgain} className="mt-2">
            Check again
          </Button>
        </div>
      )}

      {status === 'failed' && (
        <div role="status" className="rounded border border-red-300 bg-red-50 p-2 text-sm text-red-900">
          <p>
            <span aria-hidden="true">✕ </span>
            Part of this change was dead-lettered, so its effect is not applied. The stock change itself is saved; an engineer can
            replay it from Dead letters. Check again after that.
          </p>
          <Button size="sm" onClick={checkAgain} className="mt-2">
            Check again
          </Button>
        </div>
      )}
    </section>
  );
}

function ChangeSteps({ change, waiting, multiple }: { change: ChangeStep; waiting: StepState; multiple: boolean }) {
  const suffix = multiple ? ` (${change.table})` : '';
  return (
    <>
      <Step state={change.kafka ? 'done' : waiting} title={`Kafka message${suffix}`}>
        {change.kafka ? (
          <>
            topic <span className="font-mono">{change.kafka.topic}</span> · partition <span className="tabular-nums">{change.kafka.partition}</span> · offset{' '}
            <span className="font-mono tabular-nums">{change.kafka.offset}</span>
            {change.committedAt && (
              <span className="text-slate-600">
                {' '}
                · commit <time dateTime={change.committedAt}>{formatClock(change.committedAt)}</time>
              </span>
            )}
            {change.redeliveries.length > 0 && (
              <span className="block text-xs text-slate-600">Redelivered at offset {change.redeliveries.map((r) => r.offset).join(', ')} (at-least-once; handled as duplicates).</span>
            )}
          </>
        ) : (
          <span className="text-slate-600">Waiting for the change to be relayed and consumed…</span>
        )}
      </Step>
      <Step state={change.status === 'done' ? 'done' : change.subProcessors.some((sp) => sp.state === 'failed') ? 'failed' : waiting} title={`Sub-processors${suffix}`}>
        <ul className="space-y-1">
          {change.subProcessors.map((sp) => (
            <SubProcessorLine key={sp.name} sp={sp} />
          ))}
        </ul>
      </Step>
    </>
  );
}

function SubProcessorLine({ sp }: { sp: SubProcessorStep }) {
  const [first, ...later] = sp.outcomes;
  return (
    <li className="flex flex-wrap items-center gap-x-2 gap-y-0.5" data-testid={`sub-processor-${sp.name}`}>
      <span className="font-mono text-xs">{sp.name}</span>
      {!first ? (
        <span className="text-xs text-slate-600">
          <span aria-hidden="true">○ </span>pending
        </span>
      ) : sp.effect ? (
        <>
          <OutcomeBadge outcome={sp.state === 'done' ? 'applied' : sp.state === 'failed' ? 'dead_lettered' : 'signalled'} />
          <span className="text-xs text-slate-600">
            queued in workflow <WorkflowLink id={sp.effect.workflowId} url={sp.effect.workflowUrl} runId={sp.effect.runId} /> at{' '}
            <time dateTime={sp.effect.queuedAt}>{formatClock(sp.effect.queuedAt)}</time>
            {sp.effect.appliedAt !== null ? (
              <>
                {' '}
                · applied at <time dateTime={sp.effect.appliedAt}>{formatClock(sp.effect.appliedAt)}</time>
                {sp.effect.latencyMs !== null && <> ({formatLatency(sp.effect.latencyMs)} after commit)</>}
              </>
            ) : sp.state === 'queued' ? (
              <> · waiting for the workflow to apply it…</>
            ) : null}
          </span>
        </>
      ) : (
        <>
          <OutcomeBadge outcome={first.outcome} />
          <span className="text-xs text-slate-600">
            {OUTCOME_HELP[first.outcome]}
            {first.latencyMs !== null && <> · {first.latencyMs} ms after commit</>}
            {first.workflowUrl && first.workflowId && (
              <>
                {' '}
                · workflow <WorkflowLink id={first.workflowId} url={first.workflowUrl} runId={null} />
              </>
            )}
          </span>
        </>
      )}
      {sp.deadLetter && (
        <span className="text-xs text-red-900">
          {sp.deadLetter.stage === 'workflow' ? 'the workflow gave up' : 'failed after its retries'}: {sp.deadLetter.error} ·{' '}
          <a href={sp.deadLetter.url} className="underline underline-offset-2 hover:text-red-950">
            dead letter #{sp.deadLetter.id}
          </a>{' '}
          ({sp.deadLetter.status}; engineers replay it from Dead letters)
          {sp.deadLetter.workflowUrl && (
            <>
              {' '}
              ·{' '}
              <a href={sp.deadLetter.workflowUrl} target="_blank" rel="noreferrer" className="underline underline-offset-2 hover:text-red-950">
                the run that gave up<span className="sr-only"> (opens the Temporal UI in a new tab)</span>
                <span aria-hidden="true"> ↗</span>
              </a>
            </>
          )}
        </span>
      )}
      {later.length > 0 && (
        <span className="text-xs text-slate-600">
          then {later.map((o) => `${OUTCOME_TEXT[o.outcome]?.label.toLowerCase() ?? o.outcome} (offset ${o.offset})`).join(', ')}
        </span>
      )}
    </li>
  );
}

/** A workflow in the Temporal UI: the run that did the work when known, else its latest run (said so). */
function WorkflowLink({ id, url, runId }: { id: string; url: string; runId: string | null }) {
  return (
    <a href={url} target="_blank" rel="noreferrer" className="font-mono text-sky-800 underline underline-offset-2 hover:text-sky-950">
      {id}
      {runId ? <span className="sr-only"> run {runId}</span> : <span className="font-sans text-slate-600"> (latest run)</span>}
      <span className="sr-only"> (opens the Temporal UI in a new tab)</span>
      <span aria-hidden="true"> ↗</span>
    </a>
  );
}

/** The last step: what the stream workflows made of the queued effects, over every change. */
function EffectsStep({ effects, status, waiting }: { effects: EffectSummary; status: TraceStatus; waiting: StepState }) {
  const { queued, applied, failed, slowestMs } = effects;
  const total = queued + applied + failed;
  const state: StepState = queued > 0 ? waiting : failed > 0 ? 'failed' : total > 0 || status === 'done' ? 'done' : status === 'failed' ? 'failed' : waiting;
  return (
    <Step state={state} title="Applied by the workflows">
      {total === 0 ? (
        <span className="text-slate-600">
          {status === 'waiting' ? 'Waiting for the sub-processors to hand it to a workflow…' : 'None: no sub-processor had work for a workflow.'}
        </span>
      ) : (
        <span>
          {applied} of {total} applied
          {slowestMs !== null && applied > 0 && <span className="text-slate-600"> (the last {formatLatency(slowestMs)} after commit)</span>}
          {queued > 0 && <span className="text-slate-600"> · {queued} still queued</span>}
          {failed > 0 && <span className="text-red-800"> · {failed} dead-lettered</span>}
        </span>
      )}
    </Step>
  );
}

function OutcomeBadge({ outcome }: { outcome: string }) {
  const look = OUTCOME_TEXT[outcome] ?? { icon: '?', label: outcome, className: 'border-slate-300 bg-slate-50' };
  return (
    <span className={`inline-flex items-center gap-1 rounded border px-1.5 py-0.5 text-xs font-medium ${look.className}`}>
      <span aria-hidden="true">{look.icon}</span>
      {look.label}
    </span>
  );
}

const STATE_LOOK: Record<StepState, { icon: string; label: string; className: string }> = {
  done: { icon: '✓', label: 'done', className: 'bg-emerald-600 text-white' },
  waiting: { icon: '…', label: 'waiting', className: 'bg-slate-200 text-slate-700 animate-pulse' },
  failed: { icon: '!', label: 'failed', className: 'bg-red-700 text-white' },
  'timed-out': { icon: '⚠', label: 'not arrived', className: 'bg-amber-500 text-white' },
};

function Step({ state, title, children }: { state: StepState; title: string; children: ReactNode }) {
  const look = STATE_LOOK[state];
  return (
    <li className="flex gap-2">
      <span aria-hidden="true" className={`mt-0.5 flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs font-bold ${look.className}`}>
        {look.icon}
      </span>
      <div className="min-w-0">
        <p className="font-medium">
          {title} <span className="sr-only">({look.label})</span>
        </p>
        <div className="text-slate-800">{children}</div>
      </div>
    </li>
  );
}
