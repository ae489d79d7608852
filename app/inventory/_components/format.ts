/** Display helpers shared by the inventory components. */

const timeFormat = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return `${timeFormat.format(date)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

export function formatDateTime(iso: string): string {
  return dateTimeFormat.format(new Date(iso));
}

export function formatDelta(delta: number): string {
  return delta > 0 ? `+${delta}` : String(delta);
}

export function describeDaysToExpiry(days: number): string {
  if (days === 0) return 'expires today';
  if (days > 0) return `in ${days} day${days === 1 ? '' : 's'}`;
  return `${-days} day${days === -1 ? '' : 's'} ago`;
}

export const REASON_LABELS: Record<string, string> = {
  receive: 'Receive (adds stock)',
  damage: 'Damage (removes stock)',
  expire: 'Expired (removes stock)',
  vendor_mismatch: 'Vendor mismatch',
  cycle_count: 'Cycle count correction',
  sale: 'Sale (removes stock)',
};

/** Mirrors the server's direction rules in stockAdjustmentSchema, for instant feedback in the form. */
export const ADDS_ONLY = new Set(['receive']);
export const REMOVES_ONLY = new Set(['damage', 'expire', 'sale']);

/** A commit-to-effect latency: "240 ms", "1.8 s", "2 min 5 s". */
export function formatLatency(ms: number): string {
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
}
