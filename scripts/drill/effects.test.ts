import { describe, expect, it } from 'vitest';
import { matchEffects, type EffectData, type LedgerEntry } from './effects.ts';

// Two adjustments of one row, 1 ms apart (row_updated_at in µs), and the HLC `updated` their commits got.
const T0 = 1_796_000_000_000_000n;
const rowKey = '["DRILL-1","SKU-A"]';
const first: LedgerEntry = { id: 1n, store_id: 'DRILL-1', sku: 'SKU-A', us: T0 };
const second: LedgerEntry = { id: 2n, store_id: 'DRILL-1', sku: 'SKU-A', us: T0 + 1000n };
const updatedAt = (us: bigint, logical = 0) => `${us * 1000n + 200n}.${String(logical).padStart(10, '0')}`;
const commit1 = updatedAt(T0);
const commit2 = updatedAt(T0 + 1000n);
const applied = (updated: string) => `inventory_levels:${rowKey}@${updated}`;

const data = (over: Partial<EffectData>): EffectData => ({ adjustments: [first, second], appliedMessageIds: [], outcomes: [], ledgerDoubles: [], ...over });

describe('matchEffects', () => {
  it('finds one effect per adjustment in its window', () => {
    const report = matchEffects(data({ appliedMessageIds: [applied(commit1), applied(commit2)] }));
    expect(report).toMatchObject({ adjustments: 2, lost: 0, doubled: 0, phantom: 0 });
    expect([...report.applied]).toEqual([1n, 2n]);
  });

  it('counts an adjustment without a stream_applied row as lost, saying what the processor recorded', () => {
    const report = matchEffects(
      data({
        appliedMessageIds: [applied(commit1)],
        outcomes: [{ row_key: rowKey, updated: commit2, outcome: 'signalled', n: 1 }],
      }),
    );
    expect(report).toMatchObject({ lost: 1, doubled: 0, lostBy: { signalled: 1 } });
    expect([...report.applied]).toEqual([1n]);
  });

  it('counts two applied messages in one window as doubled (a change applied again under another version)', () => {
    const report = matchEffects(data({ appliedMessageIds: [applied(commit1), applied(updatedAt(T0, 1)), applied(commit2)] }));
    expect(report).toMatchObject({ lost: 0, doubled: 1 });
  });

  it('counts a message the processor reported applied twice as doubled, and a second signal only as resignalled', () => {
    const report = matchEffects(
      data({
        appliedMessageIds: [applied(commit1), applied(commit2)],
        outcomes: [
          { row_key: rowKey, updated: commit1, outcome: 'applied', n: 2 },
          { row_key: rowKey, updated: commit2, outcome: 'signalled', n: 2 },
          { row_key: rowKey, updated: commit2, outcome: 'duplicate', n: 3 },
        ],
      }),
    );
    expect(report).toMatchObject({ lost: 0, doubled: 1, resignalled: 1, redelivered: 3 });
  });

  it('counts an adjustment the ledger holds twice as doubled', () => {
    const report = matchEffects(data({ appliedMessageIds: [applied(commit1), applied(commit2)], ledgerDoubles: [{ note: 'drill:x:7', n: 2 }] }));
    expect(report.doubled).toBe(1);
  });

  it('counts effects no adjustment explains as phantom', () => {
    const report = matchEffects(
      data({ appliedMessageIds: [applied(updatedAt(T0 - 5n)), applied(commit1), applied(commit2), 'inventory_levels:["OTHER","SKU-A"]@1.0000000000'] }),
    );
    expect(report).toMatchObject({ lost: 0, doubled: 0, phantom: 2 });
  });
});
