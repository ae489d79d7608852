import { describe, expect, it } from 'vitest';
import { filtersFromParams, filtersQueryString, hasFilters, isoToLocalInput, localInputToIso, NO_FILTERS } from './audit-filters.ts';

describe('audit filters in the URL', () => {
  it('reads the known keys, ignoring others, and writes back only what is set, in a stable order', () => {
    const filters = filtersFromParams(new URLSearchParams('reason=walk-in&cursor=9&action=inventory.adjust&actor=%20admin&target='));
    expect(filters).toEqual({ ...NO_FILTERS, actor: 'admin', action: 'inventory.adjust', reason: 'walk-in' });
    expect(filtersQueryString(filters)).toBe('actor=admin&action=inventory.adjust&reason=walk-in');
    expect(hasFilters(filters)).toBe(true);
    expect(hasFilters(NO_FILTERS)).toBe(false);
    expect(filtersQueryString(NO_FILTERS)).toBe('');
  });

  it('round-trips a time between the ISO instant and the local date-time input', () => {
    const iso = '2025-03-01T12:34:00.000Z';
    expect(localInputToIso(isoToLocalInput(iso))).toBe(iso);
    expect(isoToLocalInput('not a date')).toBe('');
    expect(localInputToIso('')).toBe('');
  });
});
