'use client';

import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatHourMinute, formatTimeOfDay } from '@/components/format.ts';
import type { PipelinePoint } from '@/server/stream/pipeline-health.ts';

export interface ChartSeries {
  key: Exclude<keyof PipelinePoint, 't'>;
  /** The series' name with its unit, for the tooltip and the caption. */
  name: string;
  color: string;
  format: (n: number) => string;
  /** Shown instead of a chart when no sample in the window has a value (e.g. the relay runs elsewhere). */
  notReported: string;
}


/** One metric of one table over the last hour; the caption says the latest value and the peak in words. */
export function MetricChart({ title, table, data, series }: { title: string; table: string; data: readonly PipelinePoint[]; series: ChartSeries }) {
  const captionId = `chart-${table}-${title.replace(/\W+/g, '-').toLowerCase()}`;
  const values = data.map((point) => point[series.key]).filter((value): value is number => value !== null);
  const latest = data.at(-1)?.[series.key] ?? null;
  const summary =
    values.length === 0
      ? series.notReported
      : `${series.name}: now ${latest === null ? 'not reported' : series.format(latest)}, peak ${series.format(Math.max(...values))}`;
  const decimals = series.key === 'messagesPerSecond' || series.key === 'deadLettersPerMinute';

  return (
    <figure aria-labelledby={captionId} className="min-w-0 rounded border border-slate-200 p-2">
      <figcaption id={captionId} className="px-1 text-xs">
        <span className="sr-only">{table}: </span>
        <span className="font-medium text-slate-800">{title}</span>
        <span className="block truncate text-slate-500" title={summary}>
          {summary}
        </span>
      </figcaption>
      {data.length === 0 || values.length === 0 ? (
        <p className="flex h-36 items-center justify-center px-2 text-center text-xs text-slate-500">
          {data.length === 0 ? 'No samples yet — the worker samples every 10 s' : series.notReported}
        </p>
      ) : (
        <div className="h-36 [&_svg:focus-visible]:outline-2 [&_svg:focus-visible]:outline-offset-2 [&_svg:focus-visible]:outline-blue-600">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} title={`${table}: ${title} over the last hour`} desc={summary} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={formatHourMinute} tick={{ fontSize: 10 }} minTickGap={24} />
              <YAxis tickFormatter={series.format} tick={{ fontSize: 10 }} width={series.key === 'slotLagBytes' ? 72 : 48} allowDecimals={decimals} />
              <Tooltip
                labelFormatter={(label) => formatTimeOfDay(Number(label))}
                formatter={(value) => [typeof value === 'number' ? series.format(value) : 'not reported', series.name]}
              />
              <Line dataKey={series.key} name={series.name} stroke={series.color} strokeWidth={2} dot={false} connectNulls={false} isAnimationActive={false} type="linear" />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}
