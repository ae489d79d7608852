/** Bytes in binary units, one decimal above 1 KiB. */
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

const counts = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const rates = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export const formatCount = (n: number): string => counts.format(n);
export const formatRate = (n: number): string => rates.format(n);

/** "just now", "12 s ago", "3 min ago", "2 h ago", relative to `now` (both ISO strings or ms). */
export function timeAgo(then: string | number, now: string | number): string {
  const seconds = Math.round((new Date(now).getTime() - new Date(then).getTime()) / 1000);
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** A duration as an operator reads it: "45 s", "3 min", "2 h 5 min". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ''}`;
}
