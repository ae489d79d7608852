'use client';

import Link from 'next/link';
import { useCallback, useRef, useState } from 'react';
import { ApiError } from '@/components/api-client.ts';
import { plural } from './format.ts';
import { ReplayResultText } from './replay-result.tsx';
import type { BulkReplayEvent, ReplayResult } from './types.ts';

export type BulkSelection = { ids: string[] } | { filter: Record<string, string> };

export interface BulkReplayState {
  phase: 'idle' | 'running' | 'done' | 'error';
  total: number;
  done: number;
  matching: number;
  capped: boolean;
  max: number;
  results: ReplayResult[];
  counts: Record<string, number> | null;
  error: string | null;
}

const IDLE: BulkReplayState = { phase: 'idle', total: 0, done: 0, matching: 0, capped: false, max: 0, results: [], counts: null, error: null };

async function refusal(res: Response): Promise<ApiError> {
  let message = `The server answered ${res.status} ${res.statusText}.`;
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(res.status, message);
}

/**
 * Starts a bulk replay and follows its NDJSON progress stream. The server finishes the run even if this
 * page goes away, so losing the stream is reported as "check the list", not as a failed replay.
 */
export function useBulkReplay(onFinished: () => void) {
  const [state, setState] = useState<BulkReplayState>(IDLE);
  const running = useRef(false);

  const apply = (event: BulkReplayEvent) => {
    setState((prev) => {
      switch (event.type) {
        case 'start':
          return { ...prev, total: event.total, matching: event.matching, capped: event.capped, max: event.max };
        case 'progress':
          return { ...prev, done: event.done, total: event.total, results: [...prev.results, event.result] };
        case 'done':
          return { ...prev, phase: 'done', total: event.total, done: event.total, counts: event.counts };
        case 'error':
          return { ...prev, phase: 'error', error: event.error };
      }
    });
  };

  const start = useCallback(
    async (selection: BulkSelection) => {
      if (running.current) return;
      running.current = true;
      setState({ ...IDLE, phase: 'running' });
      let finished = false;
      try {
        let res: Response;
        try {
          res = await fetch('/api/dead-letters/replay', {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
            body: JSON.stringify(selection),
            cache: 'no-store',
          });
        } catch {
          throw new ApiError(0, 'The console server could not be reached. Check your connection and retry.');
        }
        if (!res.ok || !res.body) throw await refusal(res);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (value) buffer += value;
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) {
            if (!line.trim()) continue;
            const event = JSON.parse(line) as BulkReplayEvent;
            if (event.type === 'done' || event.type === 'error') finished = true;
            apply(event);
          }
          if (done) break;
        }
        if (!finished) {
          throw new Error('Lost the progress stream. The replay carries on on the server; refresh the list to see where it got to.');
        }
      } catch (err) {
        setState((prev) => ({ ...prev, phase: 'error', error: err instanceof Error ? err.message : String(err) }));
      } finally {
        running.current = false;
        onFinished();
      }
    },
    [onFinished],
  );

  return { state, start, reset: () => setState(IDLE) };
}

/** The running or finished bulk replay: a progress bar and one line per entry. */
export function BulkReplayPanel({ state, onDismiss, hrefFor }: { state: BulkReplayState; onDismiss: () => void; hrefFor: (id: string) => string }) {
  if (state.phase === 'idle') return null;
  const percent = state.total === 0 ? (state.phase === 'done' ? 100 : 0) : Math.round((state.done / state.total) * 100);
  const counts = state.counts;
  return (
    <section aria-labelledby="bulk-replay-title" className="space-y-3 rounded-lg border border-slate-300 bg-white p-4">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="bulk-replay-title" className="font-semibold">
          Bulk replay
        </h2>
        <span role="status" className="text-sm text-slate-700">
          {state.phase === 'running'
            ? state.total > 0
              ? `Replaying ${state.done} of ${plural(state.total, 'entry', 'entries')}…`
              : 'Starting…'
            : state.phase === 'done'
              ? `Done: ${plural(state.total, 'entry', 'entries')} processed.`
              : 'Stopped.'}
        </span>
        {state.phase !== 'running' && (
          <button type="button" onClick={onDismiss} className="ml-auto rounded border border-slate-300 px-2.5 py-1 text-sm font-medium hover:bg-slate-100">
            Dismiss
          </button>
        )}
      </div>
      <div
        role="progressbar"
        aria-label="Bulk replay progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% (${state.done} of ${state.total})`}
        className="h-3 w-full overflow-hidden rounded bg-slate-200"
      >
        <div className="h-full bg-slate-900 transition-[width]" style={{ width: `${percent}%` }} />
      </div>
      <p className="text-sm tabular-nums text-slate-700">
        {percent}% · {state.done} of {state.total}
      </p>
      {state.capped && (
        <p className="rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-950">
          {state.matching.toLocaleString()} pending entries match; one bulk replay takes at most {state.max.toLocaleString()} (the oldest). Run it again for
          the rest.
        </p>
      )}
      {counts && (
        <p className="text-sm font-medium">
          {counts.replayed ?? 0} replayed · {counts.superseded ?? 0} superseded · {(counts.pending ?? 0) + (counts.failed ?? 0)} failed · {counts.skipped ?? 0}{' '}
          skipped
        </p>
      )}
      {state.error && (
        <p role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm text-red-800">
          {state.error}
        </p>
      )}
      {state.results.length > 0 && (
        <ol aria-label="Bulk replay results" className="max-h-64 space-y-1 overflow-y-auto border-t border-slate-100 pt-2 text-sm">
          {state.results.map((result) => (
            <li key={result.id} className="break-words">
              <Link href={hrefFor(result.id)} scroll={false} className="font-mono font-medium text-blue-800 hover:underline">
                #{result.id}
              </Link>
              : <ReplayResultText result={result} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
