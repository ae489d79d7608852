import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  MalformedMessageError,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  type DecodeOptions,
  type DecodeResult,
  type RawMessage,
} from './decode.ts';
import cockroachMessages from './testdata/cockroachdb-changefeed-messages.json' with { type: 'json' };

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

// ─── CockroachDB's own messages ────────────────────────────────────────────────────────────────────────

interface Fixture {
  name: string;
  source: string;
  options: string;
  table: 'inventory_levels' | 'inventory_lots';
  key: string | null;
  value: string;
  replace: Record<string, 'row' | 'oldRow' | 'key'>;
  expect: 'change' | 'resolved' | 'malformed';
  op?: 'insert' | 'update' | 'delete';
  updated?: string;
  reason?: string;
}

const lot = { lot_id: 'lot-1', store_id: 'st-1', sku: 'sku-1', quantity: 12, expires_on: '2026-12-31' };
const ours = {
  inventory_lots: { row: lot, oldRow: { ...lot, quantity: 13 }, key: ['lot-1'] },
  inventory_levels: { row: level, oldRow: { ...level, on_hand: 5 }, key: ['st-1', 'sku-1'] },
};

describe('decodeMessage on CockroachDB changefeed messages (server/stream/testdata/cockroachdb-changefeed-messages.json)', () => {
  const fixtures = (cockroachMessages as unknown as { messages: Fixture[] }).messages;
  // A fixed clock, so the documentation's 2023 timestamps and the encoder tests' wall time 1 are all in the past.
  const options = { now: () => Date.parse('2026-12-02T12:00:00Z') };

  it.each(fixtures.map((fixture) => [`${fixture.name} — ${fixture.source}`, fixture] as const))('%s', (_title, fixture) => {
    const mine = ours[fixture.table];
    const materialize = (text: string) => Object.entries(fixture.replace).reduce((out, [from, to]) => out.replaceAll(from, JSON.stringify(mine[to])), text);
    const raw: RawMessage = {
      key: fixture.key === null ? null : Buffer.from(materialize(fixture.key)),
      value: Buffer.from(materialize(fixture.value)),
      topic: fixture.table,
      partition: 0,
      offset: '7',
    };
    const result = decodeMessage(fixture.table, raw, options);
    expect(result.kind, result.kind === 'malformed' ? result.error.message : '').toBe(fixture.expect);
    if (result.kind === 'change') {
      expect(result.change).toMatchObject({ table: fixture.table, key: mine.key, rowKey: JSON.stringify(mine.key), op: fixture.op, updatedText: fixture.updated });
      if (fixture.op !== 'delete') expect(result.change.after).toEqual(mine.row);
      if (fixture.op !== 'insert' && fixture.options.includes('diff')) expect(result.change.before).toEqual(mine.oldRow);
    }
    if (result.kind === 'resolved') expect(result.hlcText).toBe(fixture.updated);
    if (result.kind === 'malformed') expect(result.error.message).toContain(fixture.reason ?? '(a reason)');
  });

  it('covers each option CockroachDB offers, and resolved messages', () => {
    const decoded = (expectKind: Fixture['expect']) => fixtures.filter((fixture) => fixture.expect === expectKind).map((fixture) => fixture.options);
    const changes = decoded('change').join(' | ');
    for (const option of ['updated', 'diff', 'key_in_value', 'topic_in_value', 'mvcc_timestamp']) expect(changes).toContain(option);
    expect(decoded('resolved')).toEqual(['WITH resolved']);
    expect(fixtures.some((fixture) => fixture.expect === 'change' && fixture.op === 'delete')).toBe(true);
  });

  it('takes the key from the Kafka message key when the value has none (the Kafka sink default)', () => {
    const result = decodeMessage('inventory_levels', message({ after: level, before: null, updated: UPDATED }));
    expect(result.kind === 'change' && result.change).toMatchObject({ key: ['st-1', 'sku-1'], rowKey: '["st-1","sku-1"]', op: 'insert' });
  });

  it('reads a resolved message on any partition, with or without a message key', () => {
    for (const partition of [0, 1, 5]) {
      const result = decodeMessage('inventory_levels', { ...message({ resolved: UPDATED }, null), partition });
      expect(result).toMatchObject({ kind: 'resolved', hlcText: UPDATED });
    }
  });

  it('says the changefeed needs WITH updated, and still names what else is wrong', () => {
    expect(malformedError({ after: level, before: null })).toMatch(/no `updated` timestamp: create the changefeed WITH updated/);
    expect(malformedError({ after: null })).toMatch(/WITH updated/);
    expect(malformedError({ after: 'x' })).toMatch(/invalid changefeed envelope: after: .*WITH updated/);
  });
});

// ─── Poison ────────────────────────────────────────────────────────────────────────────────────────────

function decodeRaw(raw: Partial<RawMessage>, options?: DecodeOptions) {
  return decodeMessage('inventory_levels', { key: JSON.stringify(['st-1', 'sku-1']), value: null, topic: 'inventory_levels', partition: 1, offset: '9', ...raw }, options);
}

function poisonReason(raw: Partial<RawMessage>, options?: DecodeOptions): string {
  let result: DecodeResult | undefined;
  expect(() => (result = decodeRaw(raw, options))).not.toThrow();
  if (result?.kind !== 'malformed') throw new Error(`expected malformed, got ${result?.kind}`);
  expect(result.error).toBeInstanceOf(MalformedMessageError);
  // Whatever the console is given to show must be storable text.
  for (const hint of [result.rowKey, result.updated]) if (hint !== undefined) expect(hint).not.toContain('\u0000');
  return result.error.message;
}

const envelope = (extra: Record<string, unknown> = {}) => JSON.stringify({ after: level, before: null, key: ['st-1', 'sku-1'], updated: UPDATED, ...extra });

describe('decodeMessage on poison: malformed, never thrown', () => {
  it('refuses binary values: Confluent-framed Avro and bytes that are not UTF-8', () => {
    const avro = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from([0x02, 0x0a, 0x73, 0x74, 0x2d, 0x31])]);
    expect(poisonReason({ value: avro })).toMatch(/^inventory_levels\[1\]@9: value is binary: magic byte 0 then schema id 42 .*format=avro/);
    expect(poisonReason({ value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) })).toMatch(/value is binary \(6 bytes that are not valid UTF-8\)/);
    expect(poisonReason({ value: Buffer.from([0x00]) })).toMatch(/NUL/);
  });

  it('refuses a binary key', () => {
    expect(poisonReason({ key: Buffer.from([0x5b, 0xc3, 0x28, 0x5d]), value: envelope() })).toMatch(/key is binary/);
    expect(poisonReason({ key: Buffer.from([0, 0, 0, 0, 7, 2]), value: envelope() })).toMatch(/key is binary: magic byte 0 then schema id 7/);
  });

  it('refuses a NUL character anywhere in the value, raw or JSON-escaped', () => {
    const raw = envelope().replace('"st-1"', '"st-\u00001"');
    expect(raw).toContain('\u0000');
    expect(poisonReason({ value: raw })).toMatch(/value holds a NUL character/);
    expect(poisonReason({ value: envelope().replace('"st-1"', '"st-\\u00001"') })).toMatch(/value holds an escaped NUL character/);
    expect(poisonReason({ value: envelope({ note: 'dropped column \u0000 still counts' }) })).toMatch(/escaped NUL/);
    expect(poisonReason({ value: envelope({ deep: [{ a: [['\u0000']] }] }) })).toMatch(/escaped NUL/);
    expect(poisonReason({ value: envelope({ ['col\u0000']: 1 }) })).toMatch(/escaped NUL/);
    expect(poisonReason({ value: envelope({ before: { ...level, sku: 'sku\u00001' } }) })).toMatch(/escaped NUL/);
    // An escaped backslash followed by "u0000" is six ordinary characters, not a NUL.
    expect(decodeRaw({ value: envelope({ note: '\\u0000' }) }).kind).toBe('change');
  });

  it('refuses a NUL character in the key, raw or JSON-escaped', () => {
    expect(poisonReason({ key: '["st-1\u0000","sku-1"]', value: envelope() })).toMatch(/key holds a NUL character/);
    expect(poisonReason({ key: Buffer.from('["st-1\\u0000","sku-1"]'), value: envelope() })).toMatch(/message key holds an escaped NUL/);
  });

  it('refuses a value over 1 MB, and reads one of exactly 1 MB', () => {
    const base = envelope({ padding: '' });
    const exact = base.replace('"padding":""', `"padding":"${'x'.repeat(MAX_VALUE_BYTES - Buffer.byteLength(base))}"`);
    expect(Buffer.byteLength(exact)).toBe(MAX_VALUE_BYTES);
    expect(MAX_VALUE_BYTES).toBe(1024 * 1024);
    expect(decodeRaw({ value: Buffer.from(exact) }).kind).toBe('change');
    expect(poisonReason({ value: Buffer.from(`${exact} `) })).toMatch(/value is 1048577 bytes, over the 1048576-byte limit/);
    expect(poisonReason({ value: 'é'.repeat(MAX_VALUE_BYTES / 2 + 1) })).toMatch(/value is 1048578 bytes/);
  });

  it('refuses a key over 2 KB, in the message key or in the value', () => {
    const long = (n: number) => JSON.stringify(['st-1', 's'.repeat(n)]);
    const fits = long(MAX_KEY_BYTES - long(0).length);
    expect(Buffer.byteLength(fits)).toBe(2048);
    const atLimit = decodeRaw({ key: fits, value: JSON.stringify({ after: level, before: null, updated: UPDATED }) });
    expect(atLimit.kind === 'change' && atLimit.change.rowKey).toBe(fits);
    const over = long(MAX_KEY_BYTES - long(0).length + 1);
    expect(poisonReason({ key: over, value: envelope() })).toMatch(/message key is 2049 bytes, over the 2048-byte limit/);
    // key_in_value only: the key is checked as it would be stored.
    const reason = poisonReason({ key: null, value: JSON.stringify({ after: level, key: JSON.parse(over) as unknown, updated: UPDATED }) });
    expect(reason).toMatch(/key is over the 2048-byte limit/);
  });

  it('refuses an `updated` out of int8/int4 range, including 20-digit walls', () => {
    const noSkew = { maxFutureSkewMs: Number.POSITIVE_INFINITY };
    const at = (updated: string) => decodeRaw({ value: envelope({ updated }) }, noSkew);
    expect(at('9223372036854775807.2147483647').kind).toBe('change');
    expect(poisonReason({ value: envelope({ updated: '9223372036854775808.0000000000' }) }, noSkew)).toMatch(/updated: updated wall time 9223372036854775808 is above 9223372036854775807 \(int8\)/);
    expect(poisonReason({ value: envelope({ updated: '18446744073709551615.0000000000' }) }, noSkew)).toMatch(/above 9223372036854775807/);
    expect(poisonReason({ value: envelope({ updated: '99999999999999999999.0000000000' }) }, noSkew)).toMatch(/above 9223372036854775807/);
    expect(poisonReason({ value: envelope({ updated: '1763900000000000000.2147483648' }) }, noSkew)).toMatch(/logical counter 2147483648 is above 2147483647 \(int4\)/);
    expect(poisonReason({ value: envelope({ updated: '1763900000000000000.9999999999' }) }, noSkew)).toMatch(/int4/);
    expect(poisonReason({ value: envelope({ updated: '123456789012345678901.0000000000' }) }, noSkew)).toMatch(/must be "<wallnanos>/);
    expect(poisonReason({ key: null, value: JSON.stringify({ resolved: '99999999999999999999.0000000000' }) }, noSkew)).toMatch(/invalid resolved envelope: resolved: resolved wall time/);
  });

  it('refuses an `updated` (or `resolved`) further ahead of the clock than the allowed skew, 5 minutes by default', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    const at = (ms: number) => `${BigInt(ms) * 1_000_000n}.0000000000`;
    expect(DEFAULT_MAX_FUTURE_SKEW_MS).toBe(300_000);
    expect(decodeRaw({ value: envelope({ updated: at(now + 300_000) }) }, { now: () => now }).kind).toBe('change');
    const reason = poisonReason({ value: envelope({ updated: at(now + 300_001) }) }, { now: () => now });
    expect(reason).toMatch(new RegExp(`updated ${at(now + 300_001).replace('.', '\\.')} is 300001 ms ahead of this worker's clock, more than the allowed skew of 300000 ms`));
    expect(poisonReason({ value: envelope({ updated: at(now + 2_000) }) }, { now: () => now, maxFutureSkewMs: 1_000 })).toMatch(/2000 ms ahead .* 1000 ms/);
    expect(decodeRaw({ value: envelope({ updated: at(now - 86_400_000) }) }, { now: () => now, maxFutureSkewMs: 0 }).kind).toBe('change');
    expect(poisonReason({ key: null, value: JSON.stringify({ resolved: at(now + 3_600_000) }) }, { now: () => now })).toMatch(/resolved .* ahead/);
    // The hints still tell the console which row it was.
    const result = decodeRaw({ value: envelope({ updated: at(now + 3_600_000) }) }, { now: () => now });
    expect(result).toMatchObject({ kind: 'malformed', rowKey: '["st-1","sku-1"]', updated: at(now + 3_600_000) });
  });

  it('never throws, whatever the bytes', () => {
    const deep = 200_000;
    // Too deep to re-encode: JSON.stringify would overflow the stack.
    const deepKey = `{"after":null,"updated":"${UPDATED}","key":${'['.repeat(deep)}1${']'.repeat(deep)}}`;
    expect(poisonReason({ key: null, value: deepKey })).toMatch(/could not be decoded \(RangeError/);
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      const keyBytes = Buffer.from(Array.from({ length: Math.floor(random() * 16) }, () => Math.floor(random() * 256)));
      expect(() => decodeRaw({ key: random() < 0.5 ? keyBytes : null, value: bytes })).not.toThrow();
      expect(decodeRaw({ value: bytes }).kind).toBe('malformed');
    }
  });
});
