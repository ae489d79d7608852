'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { apiFetch } from '@/components/api-client.ts';
import { HealthPanel } from '@/components/health-panel.tsx';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states.tsx';
import type { PipelineHealth, StreamQueueLatest, TableHealth } from '@/server/stream/pipeline-health.ts';
import { AlertsPanel } from './alerts-panel.tsx';
import { formatBytes, formatCount, formatDuration, formatRate, formatTimeOfDay, timeAgo } from '@/components/format.ts';
import { DataTable, type Column } from '@/components/ui/data-table.tsx';
import { MetricChart, type ChartSeries } from './metric-chart.tsx';
import { SlotStatus } from './slot-status.tsx';

const POLL_MS = 10_000;

export function PipelineHealthView() {
  const query = useQuery({
    queryKey: ['pipeline-health'],
    queryFn: () => apiFetch<PipelineHealth>('/api/pipeline'),
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
  });

  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold">Pipeline health</h1>
        <p className="mt-1 text-sm text-slate-600">
          The relay&apos;s replication slot, then per changefeed table: relay slot lag, consumer lag per partition, throughput, messages
          queued in stream workflows, stream workflow backlog and dead letters over the last hour. Refreshes every 10 seconds while this
          tab is visible.
        </p>
      </div>

      <AlertsPanel />

      <section aria-labelledby="tables-heading" className="space-y-4">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="tables-heading" className="text-lg font-semibold">
            Change stream
          </h2>
          {query.data && (
            <p className="text-xs text-slate-500">
              Updated {formatTimeOfDay(query.data.generatedAt)}
              {query.isFetching ? ' · refreshing…' : ''}
            </p>
          )}
        </div>
        {query.isPending ? (
          <SkeletonRows rows={8} label="Loading pipeline samples" />
        ) : !query.data ? (
          <ErrorState title="Could not load pipeline health" error={query.error} onRetry={() => void query.refetch()} />
        ) : (
          <div className="space-y-6">
            {query.error && (
              <p role="status" className="rounded border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                <span aria-hidden="true">⚠ </span>The last refresh failed ({query.error.message}); showing the previous values.
              </p>
            )}
            <SlotStatus slot={query.data.slot} />
            {query.data.tables.map((table) => (
              <TableCard
                key={table.table}
                health={table}
                generatedAt={query.data.generatedAt}
                sampleIntervalSeconds={query.data.sampleIntervalSeconds}
              />
            ))}
          </div>
        )}
      </section>

      <section aria-labelledby="services-heading" className="space-y-3">
        <h2 id="services-heading" className="text-lg font-semibold">
          Services
        </h2>
        <HealthPanel />
      </section>
    </div>
  );
}

function TableCard({
  health,
  generatedAt,
  sampleIntervalSeconds,
}: {
  health: TableHealth;
  generatedAt: string;
  sampleIntervalSeconds: number;
}) {
  const { table, latest, series, stale } = health;
  const headingId = `table-${table}`;
  return (
    <article aria-labelledby={headingId} className="rounded-lg border border-slate-200 bg-white p-4">
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 id={headingId} className="font-mono text-base font-semibold">
          {table}
        </h3>
        {latest && (
          <p className={`text-xs ${stale ? 'font-semibold text-amber-800' : 'text-slate-500'}`}>
            {stale && <span aria-hidden="true">⚠ </span>}
            {stale ? 'Stale: ' : ''}last sample {timeAgo(latest.sampledAt, generatedAt)} ({formatTimeOfDay(latest.sampledAt)})
            {stale ? ' — is the worker running?' : ''}
          </p>
        )}
      </header>

      {!latest ? (
        <div className="mt-3">
          <EmptyState title="No samples yet — the worker samples every 10 s">
            Samples appear here within {sampleIntervalSeconds} seconds of the worker starting. If none come, check that the worker is running
            (Services, below) and read its log.
          </EmptyState>
        </div>
      ) : (
        <>
          <dl className="mt-3 grid grid-cols-2 gap-3 text-sm md:grid-cols-3 xl:grid-cols-6">
            <Stat label="Relay slot lag" value={latest.slotLagBytes === null ? 'Relay off' : formatBytes(latest.slotLagBytes)} note={latest.slotLagBytes === null ? 'CDC_RELAY=off or no slot' : 'WAL held for the relay'} />
            <Stat
              label="Consumer lag"
              value={`${formatCount(latest.consumerLag)} msg`}
              note={latest.consumerLag === 0 ? 'Caught up' : 'Behind'}
              warn={latest.consumerLag > 0}
            />
            <Stat label="Throughput" value={`${formatRate(latest.messagesPerSecond)} msg/s`} note="Changes processed" />
            <QueuedStat queue={latest.streamQueue} />
            <Stat
              label="Workflow backlog"
              value={latest.workflowBacklog === null ? 'Not reported' : `${formatCount(latest.workflowBacklog)} tasks`}
              note="Stream task queue"
              warn={(latest.workflowBacklog ?? 0) > 0}
            />
            <Stat
              label="Dead letters (1 h)"
              value={formatCount(latest.deadLettersInWindow)}
              note={
                latest.deadLettersInWindow === 0 ? (
                  'None'
                ) : (
                  <Link href="/dead-letters" className="underline hover:no-underline">
                    See Dead letters
                  </Link>
                )
              }
              warn={latest.deadLettersInWindow > 0}
            />
          </dl>

          <PartitionTable table={table} partitions={latest.partitions} />

          <div className="mt-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
            {CHARTS.map((chart) => (
              <MetricChart key={chart.title} title={chart.title} table={table} data={series} series={chart.series} />
            ))}
          </div>
        </>
      )}
    </article>
  );
}

function Stat({ label, value, note, warn = false, alert = false }: { label: string; value: string; note: ReactNode; warn?: boolean; alert?: boolean }) {
  const box = alert ? 'border-red-300 bg-red-50' : warn ? 'border-amber-300 bg-amber-50' : 'border-slate-200 bg-slate-50';
  const text = alert ? 'font-medium text-red-900' : warn ? 'font-medium text-amber-900' : 'text-slate-500';
  return (
    <div className={`rounded border px-3 py-2 ${box}`}>
      <dt className="text-xs font-medium text-slate-600">{label}</dt>
      <dd className="mt-0.5 text-lg font-semibold tabular-nums">{value}</dd>
      <dd className={`text-xs ${text}`}>
        {(warn || alert) && <span aria-hidden="true">▲ </span>}
        {note}
      </dd>
    </div>
  );
}

/**
 * Signalled into a stream workflow and neither applied nor dead-lettered yet, however long ago (as long as its outcome
 * is kept): amber from a minute old, red from five.
 */
function QueuedStat({ queue }: { queue: StreamQueueLatest | null }) {
  if (!queue) return <Stat label="Queued in workflows" value="Not measured" note="Worker sampler" />;
  return (
    <Stat
      label="Queued in workflows"
      value={`${formatCount(queue.queued)} ${queue.queued === 1 ? 'message' : 'messages'}`}
      note={queue.oldestAgeMs === null ? 'None waiting' : `Oldest ${formatDuration(queue.oldestAgeMs)}`}
      warn={queue.level === 'warn'}
      alert={queue.level === 'error'}
    />
  );
}

const CHARTS: { title: string; series: ChartSeries }[] = [
  { title: 'Consumer lag', series: { key: 'consumerLag', name: 'Messages behind', color: '#2563eb', format: formatCount, notReported: 'Not reported' } },
  { title: 'Relay slot lag', series: { key: 'slotLagBytes', name: 'WAL held', color: '#9333ea', format: formatBytes, notReported: 'Not reported: the relay is off here (CDC_RELAY=off)' } },
  { title: 'Messages per second', series: { key: 'messagesPerSecond', name: 'Messages/s', color: '#059669', format: formatRate, notReported: 'Not reported' } },
  { title: 'Queued in workflows', series: { key: 'streamQueued', name: 'Messages queued', color: '#0891b2', format: formatCount, notReported: 'Not measured yet' } },
  { title: 'Workflow backlog', series: { key: 'workflowBacklog', name: 'Tasks waiting', color: '#d97706', format: formatCount, notReported: 'Not reported by Temporal' } },
  { title: 'DLQ rate', series: { key: 'deadLettersPerMinute', name: 'Dead letters/min', color: '#dc2626', format: formatRate, notReported: 'Not reported' } },
];

type PartitionLag = { partition: number; lag: number };

const PARTITION_COLUMNS: Column<PartitionLag>[] = [
  { id: 'partition', header: 'Partition', className: 'font-mono', cell: (p) => p.partition },
  { id: 'lag', header: 'Lag (messages)', align: 'right', className: 'tabular-nums', cell: (p) => formatCount(p.lag) },
  {
    id: 'state',
    header: 'State',
    cell: (p) => <span className={`text-xs ${p.lag > 0 ? 'font-medium text-amber-900' : 'text-slate-500'}`}>{p.lag > 0 ? '▲ Behind' : 'Caught up'}</span>,
  },
];

function PartitionTable({ table, partitions }: { table: string; partitions: PartitionLag[] }) {
  return (
    <DataTable
      columns={PARTITION_COLUMNS}
      rows={partitions}
      rowKey={(p) => String(p.partition)}
      label={`${table}: consumer lag per partition`}
      empty={<p className="mt-3 text-sm text-slate-600">No partitions reported for the {table} topic yet.</p>}
      density="compact"
      className="mt-3 max-w-md"
    />
  );
}
