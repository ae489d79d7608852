/** The audit log's filters as the page's URL carries them (the API validates them; see server/audit/audit-log.ts). */
export interface AuditFilters {
  actor: string;
  action: string;
  target: string;
  reason: string;
  /** ISO instants. */
  from: string;
  to: string;
}

export const FILTER_KEYS = ['actor', 'action', 'target', 'reason', 'from', 'to'] as const satisfies readonly (keyof AuditFilters)[];

export const NO_FILTERS: AuditFilters = { actor: '', action: '', target: '', reason: '', from: '', to: '' };

export function filtersFromParams(params: URLSearchParams): AuditFilters {
  const filters = { ...NO_FILTERS };
  for (const key of FILTER_KEYS) filters[key] = params.get(key)?.trim() ?? '';
  return filters;
}

/** Only the filters that are set, in a stable order, so equal filters give equal query strings (and cache keys). */
export function filtersQueryString(filters: AuditFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key].trim();
    if (value) params.set(key, value);
  }
  return params.toString();
}

export const hasFilters = (filters: AuditFilters): boolean => FILTER_KEYS.some((key) => filters[key].trim() !== '');

/** `<input type="datetime-local">` value (local time, no zone) for an ISO instant, and back. */
export function isoToLocalInput(iso: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export function localInputToIso(value: string): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
