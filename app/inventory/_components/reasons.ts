/** The inventory area's own words: adjustment reasons and how far off an expiry is. */

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
