import { formatElapsed } from '@/components/format.ts';
import { Time } from '@/components/ui/time.tsx';
import type { ManualResolutionRecord } from '@/server/card-link/enrollments.ts';
import type { UnlinkRecord } from '@/server/card-link/unlink-card.ts';
import type { CardLinkProgress } from '@/server/temporal/contract.ts';
import { FieldList } from './partner-response.tsx';
import { STEP_STATE_VIEWS, timeline, TONE_CLASSES, type StepState } from './view-model.ts';

const MARKER: Record<StepState, string> = {
  done: 'border-emerald-500 bg-emerald-500 text-white',
  failed: 'border-red-600 bg-red-600 text-white',
  current: 'border-sky-600 bg-white text-sky-700 motion-safe:animate-pulse',
  waiting: 'border-slate-300 bg-white text-slate-400',
  skipped: 'border-slate-200 bg-slate-100 text-slate-400',
};

/** Every step of the card link, with when it finished (and how long after the start), its outcome and the partner's answer. */
export function Timeline({
  progress,
  running,
  startTime,
  partner,
  resolutions,
  unlinks = [],
}: {
  progress: CardLinkProgress;
  running: boolean;
  startTime: string;
  partner: string;
  resolutions: ManualResolutionRecord[];
  /** Unlinks of this card link (service API and console), after the steps. */
  unlinks?: UnlinkRecord[];
}) {
  const entries = timeline(progress, running);
  return (
    <ol aria-label="Card-link timeline" className="relative space-y-0">
      {entries.map((entry, index) => {
        const view = STEP_STATE_VIEWS[entry.state];
        const last = index === entries.length - 1;
        return (
          <li key={entry.key} aria-label={`${entry.label}: ${view.label}`} className="relative flex gap-3 pb-5">
            {!last && <span aria-hidden="true" className="absolute top-7 bottom-0 left-3.5 w-px bg-slate-200" />}
            <span aria-hidden="true" className={`z-10 flex h-7 w-7 shrink-0 items-center justify-center rounded-full border-2 text-sm font-bold ${MARKER[entry.state]}`}>
              {view.icon}
            </span>
            <div className={`min-w-0 flex-1 ${entry.state === 'skipped' || entry.state === 'waiting' ? 'text-slate-500' : ''}`}>
              <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
                <h3 className="font-medium">{entry.label}</h3>
                <span className={`rounded border px-1.5 py-0 text-xs font-semibold ${TONE_CLASSES[view.tone]}`}>{view.label}</span>
                {entry.record && (
                  <span className="text-xs text-slate-500">
                    <Time iso={entry.record.at} /> <span className="tabular-nums">({formatElapsed(startTime, entry.record.at)})</span>
                  </span>
                )}
              </div>
              {entry.record && <p className="mt-0.5 break-words text-sm text-slate-800">{entry.record.outcome}</p>}
              {entry.state === 'current' && (
                <p className="mt-0.5 text-sm text-slate-700">
                  {entry.step === 'reconcile'
                    ? `The partner found more than one matching account. Waiting for ${partner}'s answer (webhook or poll) until its deadline; the customer has a provisional subscription meanwhile.`
                    : 'Running now.'}
                </p>
              )}
              {entry.record?.partnerResponse !== undefined && (
                <div className="mt-2 rounded border border-slate-200 bg-slate-50 p-2">
                  <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">{entry.step === 'reconcile' ? 'Answer' : `${partner} answered`}</p>
                  <FieldList value={entry.record.partnerResponse} label={`${entry.label}: response`} />
                </div>
              )}
              {entry.step === 'reconcile' && resolutions.length > 0 && (
                <ul aria-label="Resolved by hand" className="mt-2 space-y-1">
                  {resolutions.map((resolution) => (
                    <li key={resolution.id} className="rounded border border-violet-200 bg-violet-50 p-2 text-sm text-violet-950">
                      <span aria-hidden="true">✎ </span>
                      <span className="font-medium">
                        Resolved by hand: {resolution.matched === null ? 'answer unknown' : resolution.matched ? 'matched' : 'not matched'}
                      </span>{' '}
                      by {resolution.actor} ({resolution.actorRole}), <Time iso={resolution.at} />. Reason: “{resolution.reason ?? '—'}”
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </li>
        );
      })}
      {unlinks.map((unlink) => (
        <li key={`unlink-${unlink.id}`} aria-label={`Unlinked: ${unlink.status === 'already_unlinked' ? 'already unlinked' : 'done'}`} className="relative flex gap-3 pb-5">
          <span aria-hidden="true" className="z-10 flex h-7 w-7 shrink-0 items-center justify-center rounded-full border-2 border-slate-700 bg-slate-700 text-sm font-bold text-white">
            ⨯
          </span>
          <div className="min-w-0 flex-1">
            <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
              <h3 className="font-medium">{unlink.status === 'already_unlinked' ? 'Unlink asked again (already unlinked)' : 'Unlinked'}</h3>
              <span className="text-xs text-slate-500">
                <Time iso={unlink.at} /> <span className="tabular-nums">({formatElapsed(startTime, unlink.at)})</span>
              </span>
            </div>
            <p className="mt-0.5 break-words text-sm text-slate-800">
              By {unlink.actor} ({unlink.via === 'api' ? 'card-link API' : unlink.actorRole}). Reason: “{unlink.reason ?? '—'}”. The link and the subscription
              ended; {partner} is told.
            </p>
          </div>
        </li>
      ))}
    </ol>
  );
}
