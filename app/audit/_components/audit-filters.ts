import { fromLocalInput, toLocalInput } from '@/components/format.ts';
import { AUDIT_FILTER_KEYS, type AuditFilterKey } from '@/server/audit/requests.ts';

/** The audit log's filters as the page's URL carries them, '' when unset (the API validates them: server/audit/requests.ts). `from`/`to` are ISO instants. */
export type AuditFilters = Record<AuditFilterKey, string>;

export const NO_FILTERS: AuditFilters = { actor: '', action: '', target: '', reason: '', from: '', to: '' };

export function filtersFromParams(params: URLSearchParams): AuditFilters {
  const filters = { ...NO_FILTERS };
  for (const key of AUDIT_FILTER_KEYS) filters[key] = params.get(key)?.trim() ?? '';
  return filters;
}

/** Only the filters that are set, in a stable order, so equal filters give equal query strings (and cache keys). */
export function filtersQueryString(filters: AuditFilters): string {
  const params = new URLSearchParams();
  for (const key of AUDIT_FILTER_KEYS) {
    const value = filters[key].trim();
    if (value) params.set(key, value);
  }
  return params.toString();
}

export const hasFilters = (filters: AuditFilters): boolean => AUDIT_FILTER_KEYS.some((key) => filters[key].trim() !== '');

/** `<input type="datetime-local">` value (local time, no zone) for an ISO instant, and back; '' when there is none. */
export function isoToLocalInput(iso: string): string {
  const date = new Date(iso);
  return iso && !Number.isNaN(date.getTime()) ? toLocalInput(date) : '';
}

export const localInputToIso = (value: string): string => fromLocalInput(value)?.toISOString() ?? '';
