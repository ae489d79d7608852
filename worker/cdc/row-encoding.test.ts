import { describe, expect, it } from 'vitest';
import { encodeTuple, encodeValue, PG_TYPE, UnsupportedValueError } from './row-encoding.ts';

describe('encodeValue', () => {
  it('keeps integers as numbers, and int8 beyond 2^53 as its exact digits', () => {
    expect(encodeValue(PG_TYPE.int2, '-7')).toBe(-7);
    expect(encodeValue(PG_TYPE.int4, '2147483647')).toBe(2147483647);
    expect(encodeValue(PG_TYPE.int8, '9007199254740991')).toBe(9007199254740991);
    expect(encodeValue(PG_TYPE.int8, '-9007199254740991')).toBe(-9007199254740991);
    expect(encodeValue(PG_TYPE.int8, '9007199254740993')).toBe('9007199254740993');
    expect(encodeValue(PG_TYPE.int8, '-9223372036854775808')).toBe('-9223372036854775808');
  });

  it('encodes booleans, floats, numerics, text and nulls', () => {
    expect(encodeValue(PG_TYPE.bool, 't')).toBe(true);
    expect(encodeValue(PG_TYPE.bool, 'f')).toBe(false);
    expect(encodeValue(PG_TYPE.float8, '1.5')).toBe(1.5);
    expect(encodeValue(PG_TYPE.float8, 'NaN')).toBe('NaN');
    expect(encodeValue(PG_TYPE.float4, '-Infinity')).toBe('-Infinity');
    // Every digit survives, which a JSON number would not promise.
    expect(encodeValue(PG_TYPE.numeric, '12345678901234567890.50')).toBe('12345678901234567890.50');
    expect(encodeValue(PG_TYPE.text, 'x"y')).toBe('x"y');
    expect(encodeValue(PG_TYPE.varchar, '')).toBe('');
    expect(encodeValue(2950 /* uuid */, '5f0c7d3e-0000-4000-8000-000000000000')).toBe('5f0c7d3e-0000-4000-8000-000000000000');
    expect(encodeValue(PG_TYPE.int4, null)).toBeNull();
    expect(encodeValue(PG_TYPE.timestamptz, null)).toBeNull();
  });

  it('parses json and jsonb into JSON values', () => {
    expect(encodeValue(PG_TYPE.json, '{"a": 1, "b": [true, null]}')).toEqual({ a: 1, b: [true, null] });
    expect(encodeValue(PG_TYPE.jsonb, '"text"')).toBe('text');
  });

  it('writes dates as YYYY-MM-DD whatever the process time zone', () => {
    expect(encodeValue(PG_TYPE.date, '2026-11-23')).toBe('2026-11-23');
    expect(encodeValue(PG_TYPE.date, 'infinity')).toBe('infinity');
    expect(() => encodeValue(PG_TYPE.date, '11/23/2026')).toThrow(UnsupportedValueError);
  });

  it('writes timestamptz in UTC with six fractional digits', () => {
    expect(encodeValue(PG_TYPE.timestamptz, '2026-11-23 10:00:00.123456+00')).toBe('2026-11-23T10:00:00.123456Z');
    expect(encodeValue(PG_TYPE.timestamptz, '2026-11-23 10:00:00+00')).toBe('2026-11-23T10:00:00.000000Z');
    expect(encodeValue(PG_TYPE.timestamptz, '2026-11-23 10:00:00.12+00')).toBe('2026-11-23T10:00:00.120000Z');
  });

  it('writes UTC timestamptz outside four-digit AD years as ISO extended years', () => {
    expect(encodeValue(PG_TYPE.timestamptz, '0044-03-15 12:00:00+00 BC')).toBe('-000043-03-15T12:00:00.000000Z');
    expect(encodeValue(PG_TYPE.timestamptz, '10000-01-01 00:00:00.5+00')).toBe('+010000-01-01T00:00:00.500000Z');
  });

  it('converts timestamptz offsets, including minutes and seconds, and across midnight', () => {
    expect(encodeValue(PG_TYPE.timestamptz, '2026-11-23 11:00:00.000001+01')).toBe('2026-11-23T10:00:00.000001Z');
    expect(encodeValue(PG_TYPE.timestamptz, '2026-11-23 05:15:00.5-05:30')).toBe('2026-11-23T10:45:00.500000Z');
    expect(encodeValue(PG_TYPE.timestamptz, '2026-01-01 00:30:00+01')).toBe('2025-12-31T23:30:00.000000Z');
    expect(encodeValue(PG_TYPE.timestamptz, '1900-01-01 00:00:00+00:19:32')).toBe('1899-12-31T23:40:28.000000Z');
    expect(encodeValue(PG_TYPE.timestamptz, '0050-06-01 12:00:00+00')).toBe('0050-06-01T12:00:00.000000Z');
    expect(encodeValue(PG_TYPE.timestamptz, 'infinity')).toBe('infinity');
    expect(() => encodeValue(PG_TYPE.timestamptz, 'Mon Nov 23 10:00:00 2026 UTC')).toThrow(UnsupportedValueError);
  });

  it('writes timestamp without a zone', () => {
    expect(encodeValue(PG_TYPE.timestamp, '2026-11-23 10:00:00.123')).toBe('2026-11-23T10:00:00.123000');
  });

  it('parses arrays of simple types into JSON arrays and leaves others as Postgres text', () => {
    expect(encodeValue(1007 /* int4[] */, '{1,2,NULL}')).toEqual([1, 2, null]);
    expect(encodeValue(1009 /* text[] */, '{"a b",c}')).toEqual(['a b', 'c']);
    expect(encodeValue(1182 /* date[] */, '{2026-11-23}')).toBe('{2026-11-23}');
  });
});

describe('encodeTuple', () => {
  const columns = [
    { name: 'store_id', typeOid: PG_TYPE.text },
    { name: 'sku', typeOid: PG_TYPE.text },
    { name: 'on_hand', typeOid: PG_TYPE.int4 },
    { name: 'updated_at', typeOid: PG_TYPE.timestamptz },
  ];

  it('encodes a row in column order and leaves out columns pgoutput did not send', () => {
    const row = encodeTuple(columns, { updated_at: '2026-11-23 10:00:00.5+00', sku: 'SKU-1', store_id: 'S-1', on_hand: undefined });
    expect(JSON.stringify(row)).toBe('{"store_id":"S-1","sku":"SKU-1","updated_at":"2026-11-23T10:00:00.500000Z"}');
  });

  it('refuses values that were already parsed, which would mean the raw-text plugin is not in use', () => {
    expect(() => encodeTuple(columns, { store_id: 'S-1', sku: 'SKU-1', on_hand: 3 })).toThrow(UnsupportedValueError);
  });
});
