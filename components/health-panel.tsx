'use client';

import { useQuery } from '@tanstack/react-query';
import type { HealthCheck, HealthResponse } from '@/server/health/checks.ts';
import { formatLatency, formatTimeOfDay } from './format.ts';
import { Button } from './ui/button.tsx';

const LABELS: Record<HealthCheck['service'], string> = {
  postgres: 'Postgres',
  kafka: 'Kafka',
  temporal: 'Temporal',
  worker: 'Worker',
};

async function fetchHealth(): Promise<HealthResponse> {
  const res = await fetch('/api/health', { cache: 'no-store' });
  // 503 still carries a full report: some service is down, which is what this panel is for.
  if (res.status !== 200 && res.status !== 503) throw new Error(`Health endpoint answered ${res.status}`);
  return (await res.json()) as HealthResponse;
}

export function HealthPanel() {
  const query = useQuery({
    queryKey: ['health'],
    queryFn: fetchHealth,
    refetchInterval: 3000,
    refetchIntervalInBackground: false,
  });

  if (query.isPending) {
    return (
      <ul aria-busy="true" aria-label="Loading service health" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        {Object.keys(LABELS).map((key) => (
          <li key={key} className="h-28 animate-pulse rounded-lg border border-slate-200 bg-white" />
        ))}
      </ul>
    );
  }

  if (query.isError) {
    return (
      <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-800">
        <p className="font-medium">Could not reach the console&apos;s health endpoint.</p>
        <p className="mt-1">{query.error.message}</p>
        <Button size="sm" onClick={() => void query.refetch()} className="mt-3">
          Retry
        </Button>
      </div>
    );
  }

  const report = query.data;
  return (
    <section aria-label="Service health" className="space-y-3">
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        {report.checks.map((check) => (
          <li
            key={check.service}
            aria-label={`${LABELS[check.service]}: ${check.ok ? 'healthy' : 'down'}`}
            data-service={check.service}
            data-status={check.ok ? 'up' : 'down'}
            className={`rounded-lg border bg-white p-4 ${check.ok ? 'border-emerald-300' : 'border-red-400'}`}
          >
            <div className="flex items-center justify-between">
              <h2 className="font-medium">{LABELS[check.service]}</h2>
              <span
                className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-semibold ${
                  check.ok ? 'bg-emerald-100 text-emerald-800' : 'bg-red-100 text-red-800'
                }`}
              >
                <span aria-hidden="true">{check.ok ? '●' : '✕'}</span>
                {check.ok ? 'Healthy' : 'Down'}
              </span>
            </div>
            <p className={`mt-2 break-words text-sm ${check.ok ? 'text-slate-600' : 'text-red-700'}`}>
              {check.ok ? check.detail : check.error}
            </p>
            <p className="mt-1 text-xs text-slate-400">{formatLatency(check.latencyMs)}</p>
          </li>
        ))}
      </ul>
      <p className="text-xs text-slate-500">
        Checked {formatTimeOfDay(report.checkedAt)}
        {query.isFetching ? ' · refreshing…' : ''}
      </p>
    </section>
  );
}
