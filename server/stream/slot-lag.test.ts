import { describe, expect, it } from 'vitest';
import { slotHealth, type SlotLag } from './slot-lag.ts';

function reading(overrides: Partial<SlotLag> = {}): SlotLag {
  return {
    slotName: 'dashops_cdc',
    active: true,
    lagBytes: 1024,
    confirmedFlushLsn: '0/16B3748',
    walStatus: 'reserved',
    safeWalBytes: 2 * 1024 ** 3,
    invalidationReason: null,
    ...overrides,
  };
}

describe('slotHealth', () => {
  it('is ok for a connected slot whose WAL is reserved, with nothing to do', () => {
    expect(slotHealth('dashops_cdc', reading())).toMatchObject({ state: 'ok', level: 'ok', recovery: [] });
  });

  it('is off, not an error, where no relay runs', () => {
    expect(slotHealth(null, null)).toMatchObject({ state: 'off', level: 'ok', recovery: [] });
  });

  it('reports a missing slot with the restart that re-creates it and the re-drive of what was missed', () => {
    const health = slotHealth('dashops_cdc', null);
    expect(health).toMatchObject({ state: 'missing', level: 'error' });
    expect(health.recovery).toEqual([expect.stringMatching(/^Restart the worker/), expect.stringContaining('Re-drive rows')]);
  });

  it('reports a lost slot: drop it first (a restart alone keeps failing on it), start the worker, re-drive the rows', () => {
    const health = slotHealth('dashops_cdc', reading({ walStatus: 'lost', safeWalBytes: null, active: false }));
    expect(health).toMatchObject({ state: 'lost', level: 'error' });
    expect(health.summary).toContain('max_slot_wal_keep_size');
    expect(health.recovery).toEqual([
      expect.stringContaining("SELECT pg_drop_replication_slot('dashops_cdc');"),
      expect.stringMatching(/^Start the worker/),
      expect.stringContaining('Re-drive rows'),
    ]);
  });

  it('takes an invalidation reason (Postgres 17+) as lost, and says which', () => {
    const health = slotHealth('dashops_cdc', reading({ walStatus: 'lost', invalidationReason: 'wal_level_insufficient' }));
    expect(health).toMatchObject({ state: 'lost', level: 'error' });
    expect(health.summary).toContain('wal_level is no longer logical');
    expect(slotHealth('dashops_cdc', reading({ walStatus: null, invalidationReason: 'something_new' })).summary).toContain('(something_new)');
  });

  it('is an error while unreserved (its WAL goes at the next checkpoint) and a warning while extended or disconnected', () => {
    expect(slotHealth('dashops_cdc', reading({ walStatus: 'unreserved', safeWalBytes: -5 }))).toMatchObject({ state: 'at_risk', level: 'error' });
    expect(slotHealth('dashops_cdc', reading({ walStatus: 'extended' }))).toMatchObject({ state: 'extended', level: 'warn' });
    expect(slotHealth('dashops_cdc', reading({ active: false }))).toMatchObject({ state: 'not_connected', level: 'warn' });
  });

  it('keeps the reading for the page to show lag and headroom', () => {
    expect(slotHealth('dashops_cdc', reading()).reading?.safeWalBytes).toBe(2 * 1024 ** 3);
  });
});
