import { describe, expect, it } from 'vitest';
import { decodeMessage, MalformedMessageError, type RawMessage } from './decode.ts';

const UPDATED = '1763900000000000000.0000000002';
const level = { store_id: 'st-1', sku: 'sku-1', on_hand: 4, updated_at: '2025-11-23T12:00:00Z' };

function message(value: unknown, key: string | null = JSON.stringify(['st-1', 'sku-1'])): RawMessage {
  return {
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    topic: 'inventory_levels',
    partition: 2,
    offset: '41',
  };
}

function malformedError(value: unknown, key?: string | null): string {
  const result = decodeMessage('inventory_levels', message(value, key));
  if (result.kind !== 'malformed') throw new Error(`expected malformed, got ${result.kind}`);
  expect(result.error).toBeInstanceOf(MalformedMessageError);
  return result.error.message;
}

describe('decodeMessage', () => {
  it('decodes an insert, with its source, key text and parsed HLC', () => {
    const result = decodeMessage('inventory_levels', message({ after: level, before: null, key: ['st-1', 'sku-1'], updated: UPDATED }));
    expect(result).toEqual({
      kind: 'change',
      change: {
        table: 'inventory_levels',
        key: ['st-1', 'sku-1'],
        rowKey: '["st-1","sku-1"]',
        op: 'insert',
        before: null,
        after: level,
        updated: { wall: 1763900000000000000n, logical: 2 },
        updatedText: UPDATED,
        source: { topic: 'inventory_levels', partition: 2, offset: '41' },
      },
    });
  });

  it('derives update and delete from before/after, and accepts an envelope without `before`', () => {
    const update = decodeMessage('inventory_levels', message({ after: { ...level, on_hand: 3 }, before: level, key: ['st-1', 'sku-1'], updated: UPDATED }));
    const del = decodeMessage('inventory_levels', message({ after: null, before: level, key: ['st-1', 'sku-1'], updated: UPDATED }));
    const noDiff = decodeMessage('inventory_levels', message({ after: null, key: ['st-1', 'sku-1'], updated: UPDATED }));
    expect(update.kind === 'change' && update.change.op).toBe('update');
    expect(del.kind === 'change' && del.change.op).toBe('delete');
    expect(noDiff.kind === 'change' && noDiff.change).toMatchObject({ op: 'delete', before: null, after: null });
  });

  it('ignores unknown envelope fields and unknown columns, and tolerates a missing nullable column', () => {
    const { updated_at: _dropped, ...withoutUpdatedAt } = level;
    const result = decodeMessage(
      'inventory_levels',
      message({ after: { ...withoutUpdatedAt, aisle: 'B7', bin: 3 }, before: null, key: ['st-1', 'sku-1'], updated: UPDATED, mvcc_timestamp: '1.0', topic: 'x' }),
    );
    expect(result.kind).toBe('change');
    expect(result.kind === 'change' && result.change.after).toEqual({ store_id: 'st-1', sku: 'sku-1', on_hand: 4 });
  });

  it('decodes the other table with its own row shape', () => {
    const lot = { lot_id: 'lot-9', store_id: 'st-1', sku: 'sku-1', quantity: 12, expires_on: '2025-12-01' };
    const result = decodeMessage('inventory_lots', { ...message({ after: lot, before: null, key: ['lot-9'], updated: UPDATED }, '["lot-9"]'), topic: 'inventory_lots' });
    expect(result.kind === 'change' && result.change).toMatchObject({ table: 'inventory_lots', rowKey: '["lot-9"]', after: lot });
  });

  it('returns a resolved checkpoint, which has no key', () => {
    expect(decodeMessage('inventory_levels', message({ resolved: UPDATED }, null))).toEqual({
      kind: 'resolved',
      hlc: { wall: 1763900000000000000n, logical: 2 },
      hlcText: UPDATED,
    });
  });

  it('reports malformed JSON, naming where the message came from', () => {
    expect(malformedError('{"after": {')).toMatch(/^inventory_levels\[2\]@41: value is not valid JSON \(/);
  });

  it('reports a missing value, and a value that is not an object', () => {
    expect(malformedError(null)).toMatch(/no value/);
    expect(malformedError([1, 2])).toMatch(/must be a JSON object, got an array/);
    expect(malformedError('"text"')).toMatch(/got string/);
  });

  it('reports a wrong envelope shape field by field', () => {
    const message = malformedError({ after: level, key: 'st-1', updated: 'yesterday' });
    expect(message).toMatch(/invalid changefeed envelope/);
    expect(message).toMatch(/key: /);
    expect(message).toMatch(/updated: updated must be "<wallnanos>\.<10-digit logical>"/);
    expect(malformedError({ hello: 'world' })).toMatch(/after: /);
    expect(malformedError({ resolved: 'soon' }, null)).toMatch(/invalid resolved envelope: resolved/);
  });

  it('reports a row the table decoder rejects, with the column, and keeps the key and updated as hints', () => {
    const result = decodeMessage('inventory_levels', message({ after: { ...level, on_hand: 'four' }, before: null, key: ['st-1', 'sku-1'], updated: UPDATED }));
    expect(result).toMatchObject({ kind: 'malformed', rowKey: '["st-1","sku-1"]', updated: UPDATED });
    expect(result.kind === 'malformed' && result.error.message).toMatch(/row does not match inventory_levels: after\.on_hand: /);
    expect(malformedError({ after: null, before: { store_id: 'st-1' }, key: ['st-1', 'sku-1'], updated: UPDATED })).toMatch(/before\.sku/);
  });

  it('rejects a key that does not fit the primary key or disagrees with the message key', () => {
    expect(malformedError({ after: level, before: null, key: ['st-1'], updated: UPDATED }, '["st-1"]')).toMatch(/primary key is \(store_id, sku\)/);
    expect(malformedError({ after: level, before: null, key: ['st-1', 'sku-1'], updated: UPDATED }, '["st-1","sku-2"]')).toMatch(/does not match the envelope key/);
  });

  it('accepts a message key that differs from the envelope key only in JSON whitespace', () => {
    const result = decodeMessage('inventory_levels', message({ after: level, before: null, key: ['st-1', 'sku-1'], updated: UPDATED }, '[ "st-1", "sku-1" ]'));
    expect(result.kind).toBe('change');
  });
});
