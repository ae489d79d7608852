import type { Wire } from '@/components/api-client.ts';
import type { BulkResultView } from '@/server/stream/bulk-ops.ts';
import type { ReplayResult } from '@/server/stream/dead-letter-replay.ts';

const WORDS: Record<ReplayResult['status'] | BulkResultView['result'], { icon: string; label: string; className: string }> = {
  replayed: { icon: '✓', label: 'Replayed', className: 'text-emerald-800' },
  superseded: { icon: '↷', label: 'Superseded (not applied: a newer version was already processed)', className: 'text-sky-800' },
  pending: { icon: '✕', label: 'Failed (still pending)', className: 'text-red-800' },
  failed: { icon: '✕', label: 'Failed', className: 'text-red-800' },
  discarded: { icon: '⊘', label: 'Discarded', className: 'text-slate-700' },
  skipped: { icon: '–', label: 'Skipped (no longer pending)', className: 'text-slate-700' },
};

export function resultLabel(status: ReplayResult['status'] | BulkResultView['result']): string {
  return WORDS[status].label;
}

/** One replay's outcome in words: what happened, and the resolution or the error. */
export function ReplayResultText({ result }: { result: Wire<ReplayResult> }) {
  const words = WORDS[result.status];
  return (
    <span>
      <span className={`font-semibold ${words.className}`}>
        <span aria-hidden="true">{words.icon} </span>
        {words.label}
      </span>
      {result.error ? <span className="text-red-800"> — {result.error}</span> : result.resolution ? <span className="text-slate-700"> — {result.resolution}</span> : null}
      {result.outcomes.map((o) =>
        o.workflowUrl ? (
          <a key={o.subProcessor} href={o.workflowUrl} target="_blank" rel="noopener noreferrer" className="ml-2 text-blue-700 underline-offset-2 hover:underline">
            {o.subProcessor} workflow{o.runId ? '' : ' (latest run)'}
            <span aria-hidden="true"> ↗</span>
          </a>
        ) : null,
      )}
    </span>
  );
}
