/**
 * How the console writes times and numbers: every page formats through here, so one kind of value reads the
 * same everywhere. Numbers are en-US (thousands with commas); dates in the reader's zone.
 */

type When = string | number | Date;
const toDate = (when: When) => (when instanceof Date ? when : new Date(when));
const valid = (date: Date) => !Number.isNaN(date.getTime());

const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const shortDateTime = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
const clock = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const preciseDateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  fractionalSecondDigits: 3,
  hour12: false,
});

/** "Dec 2, 2026, 07:32:13 PM": a timestamp in a list or a detail; "—" when there is none, the input when it is not a time. */
export function formatDateTime(when: When | null | undefined): string {
  if (when === null || when === undefined || when === '') return '—';
  const date = toDate(when);
  return valid(date) ? dateTime.format(date) : String(when);
}

/** "Dec 2, 19:32": a timestamp in a dense table. */
export function formatShortDateTime(when: When): string {
  return shortDateTime.format(toDate(when));
}

const hourMinute = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** "07:32 PM" (in the reader's locale): a time of day on a chart's axis. */
export function formatHourMinute(when: When): string {
  return hourMinute.format(toDate(when));
}

/** "19:32:13": a time of day, for "checked at" and "updated at". */
export function formatTimeOfDay(when: When): string {
  return clock.format(toDate(when));
}

/** "19:32:13.042": a time of day to the millisecond, for steps a few ms apart. */
export function formatClock(when: When): string {
  const date = toDate(when);
  return `${clock.format(date)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** "12/02/2026, 19:32:13.042": date and time to the millisecond, for tracing one change. */
export function formatPreciseDateTime(when: When): string {
  return preciseDateTime.format(toDate(when));
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", relative to `now`. */
export function timeAgo(then: When, now: When): string {
  const seconds = Math.round((toDate(now).getTime() - toDate(then).getTime()) / 1000);
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** A long span as an operator reads it: "45 s", "3 min", "2 h 5 min". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ''}`;
}

/** A short span measured precisely (a commit-to-effect latency): "240 ms", "1.8 s", "2 min 5 s". */
export function formatLatency(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
}

/** Time since a start, for a step of a timeline: "+42 ms", "+1.3 s", "+2 min 5 s", "+3 h 4 min", "+2 d 1 h"; "" when a time is missing. */
export function formatElapsed(from: When, to: When): string {
  const ms = Math.max(0, toDate(to).getTime() - toDate(from).getTime());
  if (!Number.isFinite(ms)) return '';
  if (ms < 1000) return `+${Math.round(ms)} ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `+${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `+${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `+${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

const counts = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const rates = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** "1,234,567". */
export const formatCount = (n: number): string => counts.format(n);

/** A rate or other fractional quantity, at most two decimals: "2.35", "3". */
export const formatRate = (n: number): string => rates.format(n);

/** A count with its noun: "1 entry", "1,200 rows". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${formatCount(n)} ${n === 1 ? one : many}`;

/** A change in a quantity, always signed: "+5", "-3", "0". */
export const formatSigned = (n: number): string => (n > 0 ? `+${n}` : String(n));

/** A ratio (0…1) as a percentage: one decimal, two for a rate under 0.1 % that is not zero ("0.05 %"). */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 2 : 1)} %`;
}

/** Bytes in binary units, one decimal from 1 KiB: "1023 B", "1.5 KiB"; "—" when not a number. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A Date as `<input type="datetime-local">` wants it: local time, no zone. */
export function toLocalInput(date: Date | undefined): string {
  if (!date) return '';
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** What a `<input type="datetime-local">` holds, as a Date (undefined when empty or not a time). */
export function fromLocalInput(value: string): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return valid(date) ? date : undefined;
}
