import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { readHorizon, RETAINED_TABLES } from '@/server/stream/retention.ts';
import { temporalScheduleUrl } from '@/server/temporal/ui-links.ts';
import { BENEFIT_LIFECYCLE_SWEEP_SCHEDULE_ID, EXPIRY_SWEEP_SCHEDULE_ID, RETENTION_SCHEDULE_ID } from '@/worker/schedules.ts';

const SCHEDULES = [
  { id: EXPIRY_SWEEP_SCHEDULE_ID, what: 'touches lots that expired without a change (hourly)' },
  { id: RETENTION_SCHEDULE_ID, what: 'deletes outcomes, samples and resolved dead letters past retention (hourly)' },
  { id: BENEFIT_LIFECYCLE_SWEEP_SCHEDULE_ID, what: 'starts and lapses DashPass benefits (every 15 minutes)' },
];

/** The worker's Temporal schedules (each run opens from the schedule's page with its run ID) and how far retention has deleted. */
export async function TemporalLinks() {
  const { TEMPORAL_UI_URL, TEMPORAL_NAMESPACE } = env();
  const ui = { uiUrl: TEMPORAL_UI_URL, namespace: TEMPORAL_NAMESPACE };
  const horizons = await Promise.all(RETAINED_TABLES.map(async (table) => ({ table, horizon: await readHorizon(db(), table) })));
  return (
    <section aria-labelledby="temporal-schedules" className="mt-6 space-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm">
      <h2 id="temporal-schedules" className="font-semibold">
        Schedules and retention
      </h2>
      <ul className="space-y-1">
        {SCHEDULES.map(({ id, what }) => (
          <li key={id}>
            <a href={temporalScheduleUrl(ui, id)} target="_blank" rel="noreferrer" className="font-mono text-sky-800 underline underline-offset-2">
              {id}
              <span className="sr-only"> (opens the Temporal UI in a new tab)</span>
              <span aria-hidden="true"> ↗</span>
            </a>{' '}
            <span className="text-slate-600">{what}</span>
          </li>
        ))}
      </ul>
      <p className="text-slate-700">
        Retention:{' '}
        {horizons
          .map(({ table, horizon }) => (horizon ? `${table} kept ${horizon.retainDays} d (deleted before ${horizon.expiredBefore.toISOString()})` : `${table} nothing deleted yet`))
          .join(' · ')}
      </p>
    </section>
  );
}
