'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, apiFetch } from '@/components/api-client.ts';
import { formatLatency, formatPreciseDateTime } from '@/components/format.ts';
import { Button } from '@/components/ui/button.tsx';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import type { SubProcessorStep } from '@/server/inventory/downstream.ts';
import type { TraceDeadLetter, TraceView as Trace } from '@/server/stream/trace.ts';

const LIVE_MS = 2000;

interface TableInfo {
  name: string;
  primaryKey: string[];
}

const time = formatPreciseDateTime;
const field = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
};

/** Look a change up by row (table + key) or by Kafka position; the lookup lives in the URL, so a trace can be linked. */
export function TraceView({ tables }: { tables: TableInfo[] }) {
  const searchParams = useSearchParams();
  const qs = searchParams.toString();
  const asked = searchParams.has('key') || searchParams.has('offset');
  const query = useQuery({
    queryKey: ['trace', qs],
    queryFn: ({ signal }) => apiFetch<Trace>(`/api/stream/trace?${qs}`, { signal }),
    enabled: asked,
    refetchInterval: (q) => (q.state.data?.status === 'waiting' ? LIVE_MS : false),
    refetchIntervalInBackground: false,
    retry: (failures, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 1,
  });

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Trace a change</h1>
        <p className="mt-1 text-sm text-slate-600">
          Any change of an inventory row, by its row or by the Kafka message that carried it: row change → offset → each sub-processor&apos;s verdict → the
          stream workflow run → applied → dead letter and replay.
        </p>
      </div>
      <LookupForms tables={tables} />
      {!asked ? null : query.isPending ? (
        <SkeletonRows rows={6} label="Loading the trace" />
      ) : query.isError ? (
        query.error instanceof ApiError && query.error.status === 404 ? (
          <EmptyState title="Nothing recorded">{query.error.message}</EmptyState>
        ) : (
          <ErrorState title="Could not load the trace" error={query.error} onRetry={() => void query.refetch()} />
        )
      ) : (
        <TraceResult trace={query.data} />
      )}
    </div>
  );
}

function LookupForms({ tables }: { tables: TableInfo[] }) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const id = useId();
  const initialTable = tables.find((t) => t.name === searchParams.get('table')) ?? tables[0]!;
  const [table, setTable] = useState(initialTable.name);
  const columns = tables.find((t) => t.name === table)?.primaryKey ?? [];
  const initialKey = (() => {
    try {
      const parsed: unknown = JSON.parse(searchParams.get('key') ?? '[]');
      return Array.isArray(parsed) ? parsed.map(String) : [];
    } catch {
      return [];
    }
  })();

  const go = (params: Record<string, string>) => router.push(`${pathname}?${new URLSearchParams(params).toString()}`);
  const byKey = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    go({ table, key: JSON.stringify(columns.map((column) => field(form, column))) });
  };
  const byOffset = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    go({ topic: field(form, 'topic'), partition: field(form, 'partition'), offset: field(form, 'offset') });
  };

  const input = 'mt-1 block w-full rounded border border-slate-300 px-2 py-1.5 text-sm';
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <form role="search" aria-label="Trace by row" onSubmit={byKey} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="font-semibold">By row</h2>
        <label className="block text-sm">
          Table
          <select name="table" value={table} onChange={(e) => setTable(e.target.value)} className={input}>
            {tables.map((t) => (
              <option key={t.name}>{t.name}</option>
            ))}
          </select>
        </label>
        {columns.map((column, i) => (
          <label key={`${table}-${column}`} className="block text-sm">
            {column}
            <input name={column} required defaultValue={table === initialTable.name ? initialKey[i] : ''} className={`${input} font-mono`} />
          </label>
        ))}
        <Button type="submit" variant="primary">
          Trace row
        </Button>
      </form>
      <form role="search" aria-label="Trace by offset" onSubmit={byOffset} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="font-semibold">By Kafka message</h2>
        <label className="block text-sm">
          Topic
          <select name="topic" defaultValue={searchParams.get('topic') ?? tables[0]!.name} className={input}>
            {tables.map((t) => (
              <option key={t.name}>{t.name}</option>
            ))}
          </select>
        </label>
        <div className="grid grid-cols-2 gap-3">
          <label className="block text-sm" htmlFor={`${id}-partition`}>
            Partition
            <input id={`${id}-partition`} name="partition" required inputMode="numeric" defaultValue={searchParams.get('partition') ?? ''} className={`${input} tabular-nums`} />
          </label>
          <label className="block text-sm" htmlFor={`${id}-offset`}>
            Offset
            <input id={`${id}-offset`} name="offset" required inputMode="numeric" defaultValue={searchParams.get('offset') ?? ''} className={`${input} tabular-nums`} />
          </label>
        </div>
        <Button type="submit" variant="primary">
          Trace message
        </Button>
      </form>
    </div>
  );
}

const STATUS_TEXT: Record<Trace['status'], { text: string; className: string }> = {
  done: { text: '✓ All steps done', className: 'text-emerald-800' },
  waiting: { text: '… Still on its way (refreshing)', className: 'text-slate-700' },
  failed: { text: '✕ Failed: dead-lettered', className: 'text-red-800' },
  expired: { text: 'Trace expired', className: 'text-slate-700' },
};

function TraceResult({ trace }: { trace: Trace }) {
  const status = STATUS_TEXT[trace.status];
  const change = trace.change;
  return (
    <section aria-label="Trace" className="space-y-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-lg font-semibold">
          {trace.table ? (
            <>
              {trace.table} <code className="font-mono text-base">{trace.rowKey}</code>
            </>
          ) : (
            'A message that could not be read'
          )}
        </h2>
        <p role="status" className={`text-sm font-medium ${status.className}`}>
          {status.text}
        </p>
      </div>
      {trace.expired && <p className="rounded border border-slate-300 bg-slate-50 p-3 text-sm text-slate-800">{trace.expired}</p>}

      {trace.versions.length > 0 && (
        <nav aria-label="Recent versions of the row" className="text-sm">
          <span className="text-slate-600">Recent versions: </span>
          {trace.versions.map((version, i) => (
            <span key={version.updated}>
              {i > 0 && ' · '}
              {version.updated === trace.updated ? (
                <strong aria-current="true">{time(version.committedAt)}</strong>
              ) : (
                <Link href={version.href} className="text-sky-800 underline underline-offset-2">
                  {time(version.committedAt)}
                </Link>
              )}
            </span>
          ))}
        </nav>
      )}

      <ol aria-label="Timeline" className="space-y-3">
        {trace.table && (
          <Step title="Row change">
            {change?.committedAt ? (
              <>
                committed <time dateTime={change.committedAt}>{time(change.committedAt)}</time> · updated <code className="break-all text-xs">{trace.updated}</code>
              </>
            ) : trace.updated ? (
              <>
                updated <code className="text-xs">{trace.updated}</code>
              </>
            ) : (
              'no recorded change'
            )}
            {trace.adjustment && (
              <p className="text-slate-700">
                Stock adjustment #{trace.adjustment.id}: {trace.adjustment.delta > 0 ? '+' : ''}
                {trace.adjustment.delta} ({trace.adjustment.reason.replace('_', ' ')}) by {trace.adjustment.actor}, on hand {trace.adjustment.onHandAfter}
                {trace.adjustment.note ? ` · “${trace.adjustment.note}”` : ''}
              </p>
            )}
          </Step>
        )}
        {change && (
          <Step title="Kafka message">
            {change.kafka ? (
              <>
                topic <code>{change.kafka.topic}</code> · partition {change.kafka.partition} · offset <code>{change.kafka.offset}</code>
                {change.redeliveries.length > 0 && <span className="block text-xs text-slate-600">Redelivered at offset {change.redeliveries.map((r) => r.offset).join(', ')}.</span>}
              </>
            ) : (
              'not consumed yet'
            )}
          </Step>
        )}
        {change && (
          <Step title="Sub-processors">
            <ul className="space-y-2">
              {change.subProcessors.map((sp) => (
                <SubProcessor key={sp.name} sp={sp} />
              ))}
            </ul>
          </Step>
        )}
        {trace.deadLetters.length > 0 && (
          <Step title="Dead letters and replays">
            <ul className="space-y-2">
              {trace.deadLetters.map((dl) => (
                <DeadLetter key={dl.id} dl={dl} />
              ))}
            </ul>
          </Step>
        )}
      </ol>
    </section>
  );
}

function SubProcessor({ sp }: { sp: SubProcessorStep }) {
  return (
    <li className="rounded border border-slate-200 bg-white p-2" data-testid={`trace-sub-processor-${sp.name}`}>
      <p>
        <code className="font-semibold">{sp.name}</code> <span className="text-xs uppercase tracking-wide text-slate-600">{sp.state}</span>
      </p>
      <ul className="text-xs text-slate-700">
        {sp.outcomes.map((o, i) => (
          <li key={i}>
            {o.outcome} at <time dateTime={o.at}>{time(o.at)}</time> (offset {o.offset}
            {o.latencyMs !== null && `, ${formatLatency(o.latencyMs)} after commit`})
            {o.detail && <> · {o.detail}</>}
          </li>
        ))}
      </ul>
      {sp.effect && (
        <p className="text-xs">
          Stream workflow <TemporalLink url={sp.effect.workflowUrl} label={sp.effect.workflowId} runId={sp.effect.runId} /> · queued{' '}
          <time dateTime={sp.effect.queuedAt}>{time(sp.effect.queuedAt)}</time>
          {sp.effect.appliedAt ? (
            <>
              {' '}
              · applied <time dateTime={sp.effect.appliedAt}>{time(sp.effect.appliedAt)}</time>
              {sp.effect.latencyMs !== null && ` (${formatLatency(sp.effect.latencyMs)} after commit)`}
            </>
          ) : sp.state === 'queued' ? (
            ' · not applied yet'
          ) : null}
        </p>
      )}
    </li>
  );
}

function DeadLetter({ dl }: { dl: TraceDeadLetter }) {
  return (
    <li className="rounded border border-red-200 bg-red-50/40 p-2 text-xs" data-testid={`trace-dead-letter-${dl.id}`}>
      <p className="text-sm">
        <Link href={dl.url} className="font-medium text-red-900 underline underline-offset-2">
          Dead letter #{dl.id}
        </Link>{' '}
        · <code>{dl.subProcessor}</code> · stage {dl.stage} · <strong>{dl.status}</strong>
      </p>
      <p className="text-red-900">{dl.error}</p>
      <p className="text-slate-700">
        recorded <time dateTime={dl.at}>{time(dl.at)}</time> after {dl.attempts} attempt{dl.attempts === 1 ? '' : 's'} · offset {dl.position.offset} · replayed {dl.replayAttempts}{' '}
        time{dl.replayAttempts === 1 ? '' : 's'}
      </p>
      {dl.resolvedAt && (
        <p className="text-slate-700">
          {dl.status} <time dateTime={dl.resolvedAt}>{time(dl.resolvedAt)}</time>
          {dl.resolvedBy && ` by ${dl.resolvedBy}`}
          {dl.resolution && `: ${dl.resolution}`}
        </p>
      )}
      {dl.workflowUrl && dl.workflowId && (
        <p>
          Gave up in <TemporalLink url={dl.workflowUrl} label={dl.workflowId} runId={dl.runId} />
        </p>
      )}
    </li>
  );
}

/** A link into the Temporal UI that says which run it opens. */
function TemporalLink({ url, label, runId }: { url: string; label: string; runId: string | null }) {
  return (
    <a href={url} target="_blank" rel="noreferrer" className="font-mono text-sky-800 underline underline-offset-2 hover:text-sky-950">
      {label}
      {runId ? ` run ${runId.slice(0, 8)}` : ' (latest run)'}
      <span className="sr-only"> (opens the Temporal UI in a new tab)</span>
      <span aria-hidden="true"> ↗</span>
    </a>
  );
}

function Step({ title, children }: { title: string; children: ReactNode }) {
  return (
    <li className="rounded-lg border border-slate-200 bg-white p-3 text-sm">
      <h3 className="font-semibold">{title}</h3>
      <div className="mt-1 space-y-1">{children}</div>
    </li>
  );
}
