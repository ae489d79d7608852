'use client';

import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '@/components/api-client.ts';
import { formatTimeOfDay } from '@/components/format.ts';
import { ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import type { FiringAlert, PipelineAlerts } from '@/server/metrics/pipeline-alerts.ts';

const POLL_MS = 10_000;

/** Which Prometheus alerts (alerts/dashops.rules.yml) would fire now, from the same thresholds and the page's live values. */
export function AlertsPanel() {
  const query = useQuery({
    queryKey: ['pipeline-alerts'],
    queryFn: () => apiFetch<PipelineAlerts>('/api/pipeline/alerts'),
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
  });

  return (
    <section aria-labelledby="alerts-heading" className="space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="alerts-heading" className="text-lg font-semibold">
          Alerts
        </h2>
        {query.data && (
          <p className="text-xs text-slate-500">
            Checked {formatTimeOfDay(query.data.evaluatedAt)}
            {query.isFetching ? ' · refreshing…' : ''}
          </p>
        )}
      </div>
      <p className="text-sm text-slate-600">
        The alert rules shipped for Prometheus, evaluated now against this page&apos;s live values. Prometheus also waits each rule&apos;s
        duration before it pages.
      </p>
      {query.isPending ? (
        <SkeletonRows rows={2} label="Loading alerts" />
      ) : !query.data ? (
        <ErrorState title="Could not load alerts" error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <>
          {query.error && (
            <p role="status" className="rounded border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
              <span aria-hidden="true">⚠ </span>The last check failed ({query.error.message}); showing the previous result.
            </p>
          )}
          {query.data.firing.length === 0 ? (
            <p role="status" className="rounded border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm font-medium text-emerald-900">
              <span aria-hidden="true">✓ </span>No alerts firing
              <span className="font-normal text-emerald-800"> ({query.data.rules.length} rules checked)</span>
            </p>
          ) : (
            <ul aria-label="Firing alerts" className="space-y-2">
              {query.data.firing.map((alert, index) => (
                <AlertRow key={`${alert.name}-${index}`} alert={alert} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function AlertRow({ alert }: { alert: FiringAlert }) {
  const critical = alert.severity === 'critical';
  return (
    <li className={`rounded border px-3 py-2 text-sm ${critical ? 'border-red-300 bg-red-50 text-red-900' : 'border-amber-300 bg-amber-50 text-amber-900'}`}>
      <p className="font-medium">
        <span className={`mr-2 rounded px-1.5 py-0.5 text-xs font-semibold uppercase ${critical ? 'bg-red-200' : 'bg-amber-200'}`}>{alert.severity}</span>
        {alert.summary}
        <span className="ml-2 font-mono text-xs font-normal">{alert.name}</span>
      </p>
      <p className="mt-0.5">{alert.detail}</p>
    </li>
  );
}
