import pg from 'pg';

/**
 * Encodes Postgres column values the way a CockroachDB changefeed writes them as JSON. The relay reads every
 * value as the text pgoutput sends (see `RawTextPgoutputPlugin`) rather than through node-postgres' type
 * parsers, which turn timestamps into millisecond `Date`s (losing microseconds) and `date` into a local-time
 * midnight. The replication session pins `DateStyle=ISO` and `TimeZone=UTC`; offsets are honoured anyway.
 */
export const PG_TYPE = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

/** Arrays whose node-postgres parser already yields the elements we want (numbers, strings, booleans). */
const SIMPLE_ARRAY_TYPES = new Set([
  1000, // bool[]
  1005, // int2[]
  1007, // int4[]
  1009, // text[]
  1015, // varchar[]
  1014, // bpchar[]
  1021, // float4[]
  1022, // float8[]
]);

export class UnsupportedValueError extends Error {
  override name = 'UnsupportedValueError';
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

const DATE_PATTERN = /^\d{4,}-\d{2}-\d{2}( BC)?$/;
const TIMESTAMP_PATTERN = /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?( BC)?$/;
const TIMESTAMPTZ_PATTERN =
  /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?( BC)?$/;
const INFINITY = new Set(['infinity', '-infinity']);

/** One column value, from pgoutput's text form (or null) to its changefeed JSON value. */
export function encodeValue(typeOid: number, text: string | null): unknown {
  if (text === null) return null;
  switch (typeOid) {
    case PG_TYPE.bool:
      return text === 't';
    case PG_TYPE.int2:
    case PG_TYPE.int4:
    case PG_TYPE.oid:
      return Number(text);
    case PG_TYPE.int8: {
      const value = BigInt(text);
      return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : text;
    }
    case PG_TYPE.float4:
    case PG_TYPE.float8: {
      const value = Number(text);
      // NaN and ±Infinity have no JSON number.
      return Number.isFinite(value) ? value : text;
    }
    case PG_TYPE.json:
    case PG_TYPE.jsonb:
      return JSON.parse(text) as unknown;
    case PG_TYPE.date:
      if (INFINITY.has(text) || DATE_PATTERN.test(text)) return text;
      throw new UnsupportedValueError(`date "${text}" is not ISO (YYYY-MM-DD); the session must use DateStyle=ISO`);
    case PG_TYPE.timestamp:
      return encodeTimestamp(text);
    case PG_TYPE.timestamptz:
      return encodeTimestamptz(text);
    default:
      // numeric stays a string so no digits are lost; text, varchar, uuid, enums, bytea ("\x…"), time and
      // interval are already the strings a changefeed would write.
      if (SIMPLE_ARRAY_TYPES.has(typeOid)) return (pg.types.getTypeParser(typeOid, 'text') as (value: string) => unknown)(text);
      return text;
  }
}

/** `2026-11-23 10:00:00.12` → `2026-11-23T10:00:00.120000` (no zone: the column has none). */
export function encodeTimestamp(text: string): string {
  if (INFINITY.has(text)) return text;
  const match = TIMESTAMP_PATTERN.exec(text);
  if (!match) throw new UnsupportedValueError(`timestamp "${text}" is not ISO; the session must use DateStyle=ISO`);
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '', fraction = '', bc] = match;
  return isoWithMicros(text, [year, month, day, hour, minute, second], fraction, Boolean(bc), 0).replace(/Z$/, '');
}

/** `2026-11-23 11:00:00.123456+01` → `2026-11-23T10:00:00.123456Z`: UTC, always six fractional digits. */
export function encodeTimestamptz(text: string): string {
  if (INFINITY.has(text)) return text;
  const match = TIMESTAMPTZ_PATTERN.exec(text);
  if (!match) throw new UnsupportedValueError(`timestamptz "${text}" is not ISO; the session must use DateStyle=ISO`);
  const [, year = '', month = '', day = '', hour = '', minute = '', second = '', fraction = '', sign, oh = '0', om = '0', os = '0', bc] =
    match;
  const offsetSeconds = (Number(oh) * 3600 + Number(om) * 60 + Number(os)) * (sign === '-' ? -1 : 1);
  // The relay's session is in UTC: a four-digit AD year at offset 0 needs no date arithmetic (a Date per value showed in profiles).
  if (offsetSeconds === 0 && !bc && year.length === 4) return `${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(6, '0')}Z`;
  return isoWithMicros(text, [year, month, day, hour, minute, second], fraction, Boolean(bc), offsetSeconds);
}

function isoWithMicros(
  text: string,
  [year, month, day, hour, minute, second]: string[],
  fraction: string,
  bc: boolean,
  offsetSeconds: number,
): string {
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999. 1 BC is ISO (astronomical) year 0.
  const date = new Date(0);
  date.setUTCFullYear(bc ? 1 - Number(year) : Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second) - offsetSeconds, 0);
  if (Number.isNaN(date.getTime())) throw new UnsupportedValueError(`"${text}" is outside the range a JSON timestamp can carry`);
  // Offsets are whole seconds, so the fraction carries over unchanged.
  return date.toISOString().replace(/\.\d{3}Z$/, `.${fraction.padEnd(6, '0')}Z`);
}

export interface EncodableColumn {
  name: string;
  typeOid: number;
}

/**
 * A pgoutput tuple (column → text, null, or undefined for an unchanged TOAST value pgoutput did not resend) as
 * a changefeed row, in the table's column order. Columns pgoutput did not send are left out.
 */
export function encodeTuple(columns: readonly EncodableColumn[], tuple: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const { name, typeOid } of columns) {
    const raw = tuple[name];
    if (raw === undefined) continue;
    if (raw !== null && typeof raw !== 'string') {
      throw new UnsupportedValueError(`column "${name}" arrived as ${typeof raw}, expected pgoutput text`);
    }
    row[name] = encodeValue(typeOid, raw);
  }
  return row;
}
