// Proves that prisma/migrations, applied to an empty database, produce exactly the data model in
// prisma/schema.prisma. It stands in for `prisma migrate diff`, whose schema-engine binary cannot be downloaded
// here: the expected model comes from the schema's DMMF (computed by Prisma's Wasm build, no download needed) and
// is compared with what Postgres' catalogs say about the migrated database.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import internals from '@prisma/internals';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyMigrations } from './migrate.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCHEMA_FILE = path.join(ROOT, 'prisma/schema.prisma');
const MIGRATIONS_DIR = path.join(ROOT, 'prisma/migrations');

type Datamodel = Awaited<ReturnType<typeof internals.getDMMF>>['datamodel'];
type Model = Datamodel['models'][number];
type Field = Model['fields'][number];

// Postgres truncates identifiers to 63 bytes; Prisma shortens its default constraint names to fit.
const MAX_IDENTIFIER_LENGTH = 63;

function defaultConstraintName(table: string, columns: readonly string[], suffix: string): string {
  const base = columns.length > 0 ? `${table}_${columns.join('_')}` : table;
  return base.slice(0, MAX_IDENTIFIER_LENGTH - suffix.length) + suffix;
}

// ---------- What schema.prisma says ----------

interface ColumnType {
  /** information_schema.columns.data_type */
  dataType: string;
  /** information_schema.columns.udt_name */
  udtName: string;
  /** Type modifier that matters for the type: length, (precision,scale) or fractional-seconds precision. */
  modifier: string | null;
}

type ExpectedDefault =
  | { kind: 'none' }
  | { kind: 'any' }
  | { kind: 'sequence' }
  | { kind: 'expression'; sql: string }
  | { kind: 'literal'; value: string };

interface ExpectedColumn {
  name: string;
  field: string;
  /** Null when the field's type is Unsupported(...) and cannot be mapped. */
  type: ColumnType | null;
  nullable: boolean;
  default: ExpectedDefault;
}

interface IndexShape {
  name: string;
  columns: string[];
  unique: boolean;
  method: string;
  /** ASC/DESC per column. */
  order: string[];
  /** Operator class per column, or 'default'. Compared lower-cased without underscores (JsonbPathOps ~ jsonb_path_ops). */
  opclasses: string[];
  /** Expression or partial index: Prisma cannot describe those, so any such index is drift. */
  special?: string;
}

interface ForeignKeyShape {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

interface TableShape {
  name: string;
  columns: Map<string, ExpectedColumn>;
  primaryKey: { name: string; columns: string[] } | null;
  indexes: Map<string, IndexShape>;
  foreignKeys: ForeignKeyShape[];
}

const DATA_TYPE_OF_UDT: Record<string, string> = {
  text: 'text',
  bpchar: 'character',
  varchar: 'character varying',
  bit: 'bit',
  varbit: 'bit varying',
  uuid: 'uuid',
  xml: 'xml',
  inet: 'inet',
  citext: 'USER-DEFINED',
  bool: 'boolean',
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  oid: 'oid',
  float4: 'real',
  float8: 'double precision',
  numeric: 'numeric',
  money: 'money',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  date: 'date',
  time: 'time without time zone',
  timetz: 'time with time zone',
  json: 'json',
  jsonb: 'jsonb',
  bytea: 'bytea',
};

// Prisma's Postgres types for each scalar with no @db attribute.
const DEFAULT_NATIVE_TYPE: Record<string, [string, string[]]> = {
  String: ['Text', []],
  Boolean: ['Boolean', []],
  Int: ['Integer', []],
  BigInt: ['BigInt', []],
  Float: ['DoublePrecision', []],
  Decimal: ['Decimal', ['65', '30']],
  DateTime: ['Timestamp', ['3']],
  Json: ['JsonB', []],
  Bytes: ['ByteA', []],
};

// @db.X -> udt_name, and the modifier Postgres reports when the attribute has no arguments.
const NATIVE_TYPES: Record<string, { udt: string; modifier: (args: readonly string[]) => string | null }> = {
  Text: { udt: 'text', modifier: () => null },
  Char: { udt: 'bpchar', modifier: (a) => a[0] ?? '1' },
  VarChar: { udt: 'varchar', modifier: (a) => a[0] ?? null },
  Bit: { udt: 'bit', modifier: (a) => a[0] ?? '1' },
  VarBit: { udt: 'varbit', modifier: (a) => a[0] ?? null },
  Uuid: { udt: 'uuid', modifier: () => null },
  Xml: { udt: 'xml', modifier: () => null },
  Inet: { udt: 'inet', modifier: () => null },
  Citext: { udt: 'citext', modifier: () => null },
  Boolean: { udt: 'bool', modifier: () => null },
  Integer: { udt: 'int4', modifier: () => null },
  SmallInt: { udt: 'int2', modifier: () => null },
  Oid: { udt: 'oid', modifier: () => null },
  BigInt: { udt: 'int8', modifier: () => null },
  DoublePrecision: { udt: 'float8', modifier: () => null },
  Real: { udt: 'float4', modifier: () => null },
  Decimal: { udt: 'numeric', modifier: (a) => (a.length > 0 ? `${a[0]},${a[1] ?? '0'}` : null) },
  Money: { udt: 'money', modifier: () => null },
  Timestamp: { udt: 'timestamp', modifier: (a) => a[0] ?? '6' },
  Timestamptz: { udt: 'timestamptz', modifier: (a) => a[0] ?? '6' },
  Date: { udt: 'date', modifier: () => null },
  Time: { udt: 'time', modifier: (a) => a[0] ?? '6' },
  Timetz: { udt: 'timetz', modifier: (a) => a[0] ?? '6' },
  Json: { udt: 'json', modifier: () => null },
  JsonB: { udt: 'jsonb', modifier: () => null },
  ByteA: { udt: 'bytea', modifier: () => null },
};

class UnmappedTypeError extends Error {
  override name = 'UnmappedTypeError';
}

function expectedType(model: Model, field: Field, datamodel: Datamodel): ColumnType | null {
  let udtName: string;
  let modifier: string | null;
  if (field.kind === 'unsupported') return null;
  if (field.kind === 'enum') {
    const enumDef = datamodel.enums.find((e) => e.name === field.type);
    udtName = enumDef?.dbName ?? field.type;
    modifier = null;
  } else {
    const [nativeName, args] = field.nativeType ?? DEFAULT_NATIVE_TYPE[field.type] ?? [];
    const native = nativeName === undefined ? undefined : NATIVE_TYPES[nativeName];
    if (!native || !args) {
      throw new UnmappedTypeError(
        `${model.name}.${field.name}: no Postgres mapping for ${field.type}${nativeName ? ` @db.${nativeName}` : ''}; extend NATIVE_TYPES in this test`,
      );
    }
    udtName = native.udt;
    modifier = native.modifier(args);
  }
  if (field.isList) {
    // information_schema reports no length/precision for array columns.
    return { dataType: 'ARRAY', udtName: `_${udtName}`, modifier: null };
  }
  return { dataType: DATA_TYPE_OF_UDT[udtName] ?? 'USER-DEFINED', udtName, modifier };
}

function expectedDefault(field: Field, datamodel: Datamodel): ExpectedDefault {
  if (!field.hasDefaultValue || field.default === undefined) return { kind: 'none' };
  const value = field.default;
  // Scalar-list defaults: presence is enough.
  if (typeof value === 'object' && 'length' in value) return { kind: 'any' };
  if (typeof value === 'object') {
    switch (value.name) {
      case 'now':
        return { kind: 'expression', sql: 'CURRENT_TIMESTAMP' };
      case 'autoincrement':
        return { kind: 'sequence' };
      // Generated by Prisma Client, not the database.
      case 'uuid':
      case 'cuid':
      case 'nanoid':
      case 'ulid':
        return { kind: 'none' };
      default:
        return { kind: 'any' };
    }
  }
  if (field.kind === 'enum') {
    const enumDef = datamodel.enums.find((e) => e.name === field.type);
    const member = enumDef?.values.find((v) => v.name === value);
    return { kind: 'literal', value: member?.dbName ?? String(value) };
  }
  if (typeof value === 'boolean' || typeof value === 'number') return { kind: 'expression', sql: String(value) };
  return { kind: 'literal', value };
}

function tableName(model: Model): string {
  return model.dbName ?? model.name;
}

function columnName(model: Model, fieldName: string): string {
  const field = model.fields.find((f) => f.name === fieldName);
  return field?.dbName ?? fieldName;
}

const REFERENTIAL_ACTIONS: Record<string, string> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

function expectedTables(datamodel: Datamodel): Map<string, TableShape> {
  const tables = new Map<string, TableShape>();
  for (const model of datamodel.models) {
    const table = tableName(model);
    const columns = new Map<string, ExpectedColumn>();
    for (const field of model.fields) {
      if (field.kind === 'object') continue;
      const name = field.dbName ?? field.name;
      columns.set(name, {
        name,
        field: `${model.name}.${field.name}`,
        type: expectedType(model, field, datamodel),
        // Prisma creates scalar lists without NOT NULL.
        nullable: field.isList || !field.isRequired,
        default: expectedDefault(field, datamodel),
      });
    }

    const modelIndexes = datamodel.indexes.filter((i) => i.model === model.name);
    const idIndex = modelIndexes.find((i) => i.type === 'id');
    const pkFields = model.primaryKey?.fields ?? model.fields.filter((f) => f.isId).map((f) => f.name);
    const pkColumns = pkFields.map((f) => columnName(model, f));
    const primaryKey =
      pkColumns.length > 0 ? { name: idIndex?.dbName ?? defaultConstraintName(table, [], '_pkey'), columns: pkColumns } : null;

    const indexes = new Map<string, IndexShape>();
    for (const index of modelIndexes) {
      if (index.type === 'id') continue;
      if (index.type === 'fulltext') throw new UnmappedTypeError(`${model.name}: fulltext indexes do not exist on Postgres`);
      const unique = index.type === 'unique';
      const cols = index.fields.map((f) => columnName(model, f.name));
      const name = index.dbName ?? defaultConstraintName(table, cols, unique ? '_key' : '_idx');
      indexes.set(name, {
        name,
        columns: cols,
        unique,
        method: (index.algorithm ?? 'BTree').toLowerCase(),
        order: index.fields.map((f) => (f.sortOrder === 'desc' ? 'DESC' : 'ASC')),
        opclasses: index.fields.map((f) => (f.operatorClass ? normaliseOpclass(f.operatorClass) : 'default')),
      });
    }

    const foreignKeys: ForeignKeyShape[] = [];
    for (const field of model.fields) {
      if (field.kind !== 'object' || !field.relationFromFields?.length) continue;
      const target = datamodel.models.find((m) => m.name === field.type);
      if (!target) throw new Error(`${model.name}.${field.name} refers to unknown model ${field.type}`);
      const cols = field.relationFromFields.map((f) => columnName(model, f));
      const allRequired = field.relationFromFields.every((f) => model.fields.find((x) => x.name === f)?.isRequired);
      foreignKeys.push({
        // @relation(map: ...) is not in the DMMF; a custom name would show up here as a rename.
        name: defaultConstraintName(table, cols, '_fkey'),
        columns: cols,
        referencedTable: tableName(target),
        referencedColumns: (field.relationToFields ?? []).map((f) => columnName(target, f)),
        // Prisma's defaults when @relation names no actions.
        onDelete: field.relationOnDelete ?? (allRequired ? 'Restrict' : 'SetNull'),
        onUpdate: field.relationOnUpdate ?? 'Cascade',
      });
    }

    tables.set(table, { name: table, columns, primaryKey, indexes, foreignKeys });
  }
  return tables;
}

function normaliseOpclass(name: string): string {
  return name.toLowerCase().replaceAll('_', '');
}

// ---------- What the database says ----------

interface ActualColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
}

interface ActualConstraint {
  table_name: string;
  name: string;
  type: 'p' | 'f';
  columns: string[];
  referenced_table: string | null;
  referenced_columns: string[];
  on_delete: string;
  on_update: string;
}

interface ActualIndex {
  table_name: string;
  name: string;
  unique: boolean;
  primary: boolean;
  method: string;
  columns: string[];
  descending: boolean[];
  opclasses: string[];
  opclass_is_default: boolean[];
  has_expressions: boolean;
  is_partial: boolean;
}

interface ActualDatabase {
  tables: string[];
  columns: ActualColumn[];
  constraints: ActualConstraint[];
  indexes: ActualIndex[];
  enums: { name: string; values: string[] }[];
}

// Only tables Prisma Migrate owns are compared; its own bookkeeping table is not part of the model.
const IGNORED_TABLES = new Set(['_prisma_migrations']);

async function describeDatabase(client: pg.ClientBase): Promise<ActualDatabase> {
  const tables = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  const columns = await client.query<ActualColumn>(
    `SELECT table_name, column_name, data_type, udt_name, character_maximum_length, numeric_precision, numeric_scale,
            datetime_precision, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const constraints = await client.query<ActualConstraint>(
    `SELECT tbl.relname AS table_name, con.conname AS name, con.contype AS type,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
            ref.relname AS referenced_table,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) AS referenced_columns,
            con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
       FROM pg_constraint con
       JOIN pg_class tbl ON tbl.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = tbl.relnamespace
       LEFT JOIN pg_class ref ON ref.oid = con.confrelid
      WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f')
      ORDER BY 1, 2`,
  );
  const indexes = await client.query<ActualIndex>(
    `SELECT t.relname AS table_name, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
            am.amname AS method,
            ARRAY(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                  WHERE k.ord <= ix.indnkeyatts ORDER BY k.ord) AS columns,
            ARRAY(SELECT (o & 1) = 1 FROM unnest(ix.indoption::int2[]) WITH ORDINALITY k(o, ord) ORDER BY k.ord) AS descending,
            ARRAY(SELECT oc.opcname::text FROM unnest(ix.indclass::oid[]) WITH ORDINALITY k(oid, ord)
                  JOIN pg_opclass oc ON oc.oid = k.oid ORDER BY k.ord) AS opclasses,
            ARRAY(SELECT oc.opcdefault FROM unnest(ix.indclass::oid[]) WITH ORDINALITY k(oid, ord)
                  JOIN pg_opclass oc ON oc.oid = k.oid ORDER BY k.ord) AS opclass_is_default,
            ix.indexprs IS NOT NULL AS has_expressions, ix.indpred IS NOT NULL AS is_partial
       FROM pg_index ix
       JOIN pg_class i ON i.oid = ix.indexrelid
       JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_am am ON am.oid = i.relam
      WHERE n.nspname = current_schema()
      ORDER BY 1, 2`,
  );
  const enums = await client.query<{ name: string; values: string[] }>(
    `SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() GROUP BY t.typname ORDER BY 1`,
  );
  return {
    tables: tables.rows.map((r) => r.name).filter((t) => !IGNORED_TABLES.has(t)),
    columns: columns.rows.filter((c) => !IGNORED_TABLES.has(c.table_name)),
    constraints: constraints.rows.filter((c) => !IGNORED_TABLES.has(c.table_name)),
    indexes: indexes.rows.filter((i) => !IGNORED_TABLES.has(i.table_name)),
    enums: enums.rows,
  };
}

// ---------- Comparison ----------

function renderType(t: ColumnType): string {
  return `${t.dataType} [${t.udtName}${t.modifier === null ? '' : `(${t.modifier})`}]`;
}

function actualType(c: ActualColumn): ColumnType {
  let modifier: string | null = null;
  if (['bpchar', 'varchar', 'bit', 'varbit'].includes(c.udt_name)) {
    modifier = c.character_maximum_length === null ? null : String(c.character_maximum_length);
  } else if (c.udt_name === 'numeric') {
    modifier = c.numeric_precision === null ? null : `${c.numeric_precision},${c.numeric_scale ?? 0}`;
  } else if (['timestamp', 'timestamptz', 'time', 'timetz'].includes(c.udt_name)) {
    modifier = c.datetime_precision === null ? null : String(c.datetime_precision);
  }
  return { dataType: c.data_type, udtName: c.udt_name, modifier };
}

function renderDefault(d: ExpectedDefault): string {
  switch (d.kind) {
    case 'none':
      return 'no default';
    case 'any':
      return 'a default';
    case 'sequence':
      return "nextval('<sequence>') (autoincrement)";
    case 'expression':
      return d.sql;
    case 'literal':
      return `'${d.value}'`;
  }
}

function defaultMatches(expected: ExpectedDefault, actual: string | null): boolean {
  switch (expected.kind) {
    case 'none':
      return actual === null;
    case 'any':
      return actual !== null;
    case 'sequence':
      return actual !== null && /^nextval\('.+'::regclass\)$/.test(actual);
    case 'expression':
      return actual === expected.sql;
    case 'literal': {
      // Postgres keeps literal defaults as '<text>'::<type>.
      const match = actual?.match(/^'((?:[^']|'')*)'::.+$/s);
      return match?.[1]?.replaceAll("''", "'") === expected.value;
    }
  }
}

const list = (items: readonly string[]) => `(${items.join(', ')})`;

function describeIndex(i: IndexShape): string {
  const cols = i.columns.map((c, n) => {
    const opclass = i.opclasses[n] ?? 'default';
    return `${c}${i.order[n] === 'DESC' ? ' DESC' : ''}${opclass === 'default' ? '' : ` ${opclass}`}`;
  });
  return `${i.unique ? 'UNIQUE ' : ''}${i.method.toUpperCase()} ${list(cols)}${i.special ? ` ${i.special}` : ''}`;
}

function describeForeignKey(fk: ForeignKeyShape): string {
  return `${list(fk.columns)} -> ${fk.referencedTable}${list(fk.referencedColumns)} ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
}

/** Every way the database differs from the schema, one readable line each; empty when they agree. */
function compareDatabaseToSchema(datamodel: Datamodel, db: ActualDatabase): string[] {
  const problems: string[] = [];
  const expected = expectedTables(datamodel);

  for (const table of db.tables) {
    if (!expected.has(table)) problems.push(`extra table "${table}": no model in schema.prisma maps to it`);
  }

  for (const [table, shape] of expected) {
    if (!db.tables.includes(table)) {
      problems.push(`missing table "${table}"`);
      continue;
    }

    const actualColumns = db.columns.filter((c) => c.table_name === table);
    for (const column of actualColumns) {
      if (!shape.columns.has(column.column_name)) problems.push(`${table}: extra column "${column.column_name}" is not in schema.prisma`);
    }
    for (const [name, want] of shape.columns) {
      const have = actualColumns.find((c) => c.column_name === name);
      if (!have) {
        problems.push(`${table}: missing column "${name}" (${want.field})`);
        continue;
      }
      if (want.type) {
        const got = actualType(have);
        if (got.dataType !== want.type.dataType || got.udtName !== want.type.udtName || got.modifier !== want.type.modifier) {
          problems.push(`${table}.${name}: type is ${renderType(got)}, schema.prisma wants ${renderType(want.type)} (${want.field})`);
        }
      }
      const nullable = have.is_nullable === 'YES';
      if (nullable !== want.nullable) {
        problems.push(`${table}.${name}: is ${nullable ? 'NULL' : 'NOT NULL'}, schema.prisma wants ${want.nullable ? 'NULL' : 'NOT NULL'} (${want.field})`);
      }
      if (!defaultMatches(want.default, have.column_default)) {
        problems.push(`${table}.${name}: default is ${have.column_default ?? 'none'}, schema.prisma wants ${renderDefault(want.default)} (${want.field})`);
      }
    }

    const constraints = db.constraints.filter((c) => c.table_name === table);
    const pk = constraints.find((c) => c.type === 'p');
    const wantPk = shape.primaryKey;
    if (wantPk && !pk) problems.push(`${table}: missing primary key "${wantPk.name}" ${list(wantPk.columns)}`);
    if (!wantPk && pk) problems.push(`${table}: has primary key "${pk.name}" ${list(pk.columns)}, schema.prisma has none`);
    if (wantPk && pk && (pk.name !== wantPk.name || pk.columns.join() !== wantPk.columns.join())) {
      problems.push(`${table}: primary key is "${pk.name}" ${list(pk.columns)}, schema.prisma wants "${wantPk.name}" ${list(wantPk.columns)}`);
    }

    const actualIndexes = new Map<string, IndexShape>(
      db.indexes
        .filter((i) => i.table_name === table && !i.primary)
        .map((i) => [
          i.name,
          {
            name: i.name,
            columns: i.columns,
            unique: i.unique,
            method: i.method,
            order: i.descending.map((d) => (d ? 'DESC' : 'ASC')),
            opclasses: i.opclasses.map((o, n) => (i.opclass_is_default[n] ? 'default' : normaliseOpclass(o))),
            special: [i.has_expressions ? 'on expressions' : '', i.is_partial ? 'partial (WHERE ...)' : ''].filter(Boolean).join(', ') || undefined,
          },
        ]),
    );
    for (const [name, have] of actualIndexes) {
      if (!shape.indexes.has(name)) problems.push(`${table}: extra index "${name}" ${describeIndex(have)} is not in schema.prisma`);
    }
    for (const [name, want] of shape.indexes) {
      const have = actualIndexes.get(name);
      if (!have) {
        problems.push(`${table}: missing index "${name}" ${describeIndex(want)}`);
      } else if (describeIndex(have) !== describeIndex(want)) {
        problems.push(`${table}: index "${name}" is ${describeIndex(have)}, schema.prisma wants ${describeIndex(want)}`);
      }
    }

    const actualFks = constraints
      .filter((c) => c.type === 'f')
      .map((c) => ({
        name: c.name,
        columns: c.columns,
        referencedTable: c.referenced_table ?? '?',
        referencedColumns: c.referenced_columns,
        onDelete: REFERENTIAL_ACTIONS[c.on_delete] ?? c.on_delete,
        onUpdate: REFERENTIAL_ACTIONS[c.on_update] ?? c.on_update,
      }));
    for (const have of actualFks) {
      if (!shape.foreignKeys.some((want) => want.name === have.name)) {
        problems.push(`${table}: extra foreign key "${have.name}" ${describeForeignKey(have)} is not in schema.prisma`);
      }
    }
    for (const want of shape.foreignKeys) {
      const have = actualFks.find((fk) => fk.name === want.name);
      if (!have) {
        problems.push(`${table}: missing foreign key "${want.name}" ${describeForeignKey(want)}`);
      } else if (describeForeignKey(have) !== describeForeignKey(want)) {
        problems.push(`${table}: foreign key "${want.name}" is ${describeForeignKey(have)}, schema.prisma wants ${describeForeignKey(want)}`);
      }
    }
  }

  const wantEnums = new Map(datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]));
  for (const have of db.enums) {
    const want = wantEnums.get(have.name);
    if (!want) problems.push(`extra enum "${have.name}" ${list(have.values)} is not in schema.prisma`);
    else if (want.join() !== have.values.join()) problems.push(`enum "${have.name}" is ${list(have.values)}, schema.prisma wants ${list(want)}`);
  }
  for (const [name, values] of wantEnums) {
    if (!db.enums.some((e) => e.name === name)) problems.push(`missing enum "${name}" ${list(values)}`);
  }

  return problems;
}

function driftMessage(problems: string[]): string {
  return `The database built by prisma/migrations differs from prisma/schema.prisma:\n  - ${problems.join('\n  - ')}\n`;
}

// ---------- Tests ----------

describe('prisma/migrations vs prisma/schema.prisma', () => {
  let adminUrl: string;
  let databaseName: string;
  let client: pg.Client;
  let datamodel: Datamodel;

  beforeAll(async () => {
    if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must point at a Postgres server (see scripts/test.ts).');
    adminUrl = process.env.DATABASE_URL;
    databaseName = `migrate_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${databaseName}"`);
    } finally {
      await admin.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${databaseName}`;
    await applyMigrations({ connectionString: url.toString(), migrationsDir: MIGRATIONS_DIR });
    client = new pg.Client({ connectionString: url.toString() });
    await client.connect();

    datamodel = (await internals.getDMMF({ datamodel: fs.readFileSync(SCHEMA_FILE, 'utf8') })).datamodel;
  });

  afterAll(async () => {
    await client?.end();
    if (!databaseName) return;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  test('the migrated database has exactly the tables, columns, keys and indexes of schema.prisma', async () => {
    expect(datamodel.models.length).toBeGreaterThan(0);
    const problems = compareDatabaseToSchema(datamodel, await describeDatabase(client));
    expect(problems, driftMessage(problems)).toEqual([]);
  });

  // Guards the comparison itself: a checker that silently compares nothing would pass the test above forever.
  test('the comparison reports each kind of drift', async () => {
    await client.query('BEGIN');
    try {
      await client.query(`
        ALTER TABLE "stores" ADD COLUMN "extra" INTEGER;
        ALTER TABLE "stores" ALTER COLUMN "city" TYPE VARCHAR(10);
        ALTER TABLE "stores" ALTER COLUMN "created_at" TYPE TIMESTAMPTZ(3);
        ALTER TABLE "audit_log" ALTER COLUMN "reason" SET NOT NULL;
        ALTER TABLE "catalog_items" ALTER COLUMN "reorder_point" SET DEFAULT 7;
        ALTER TABLE "worker_heartbeats" DROP COLUMN "hostname";
        DROP INDEX "audit_log_created_at_idx";
        CREATE UNIQUE INDEX "catalog_items_name_key" ON "catalog_items"("name");
        DROP INDEX "inventory_lots_store_id_sku_idx";
        CREATE INDEX "inventory_lots_store_id_sku_idx" ON "inventory_lots"("sku", "store_id");
        ALTER TABLE "inventory_levels" DROP CONSTRAINT "inventory_levels_sku_fkey";
        ALTER TABLE "inventory_lots" DROP CONSTRAINT "inventory_lots_store_id_fkey";
        ALTER TABLE "inventory_lots" ADD CONSTRAINT "inventory_lots_store_id_fkey"
          FOREIGN KEY ("store_id") REFERENCES "stores"("store_id") ON DELETE CASCADE ON UPDATE CASCADE;
        CREATE TABLE "stray" ("id" INTEGER NOT NULL);
        CREATE TYPE "mood" AS ENUM ('happy');
      `);
      const problems = compareDatabaseToSchema(datamodel, await describeDatabase(client));
      const expectedProblems = [
        'extra table "stray"',
        'stores: extra column "extra"',
        'stores.city: type is character varying [varchar(10)], schema.prisma wants text [text]',
        'stores.created_at: type is timestamp with time zone [timestamptz(3)], schema.prisma wants timestamp with time zone [timestamptz(6)]',
        'audit_log.reason: is NOT NULL, schema.prisma wants NULL',
        'catalog_items.reorder_point: default is 7, schema.prisma wants 5',
        'worker_heartbeats: missing column "hostname"',
        'audit_log: missing index "audit_log_created_at_idx" BTREE (created_at)',
        'catalog_items: extra index "catalog_items_name_key" UNIQUE BTREE (name)',
        'inventory_lots: index "inventory_lots_store_id_sku_idx" is BTREE (sku, store_id), schema.prisma wants BTREE (store_id, sku)',
        'inventory_levels: missing foreign key "inventory_levels_sku_fkey" (sku) -> catalog_items(sku)',
        'inventory_lots: foreign key "inventory_lots_store_id_fkey" is (store_id) -> stores(store_id) ON DELETE Cascade',
        'extra enum "mood"',
      ];
      for (const fragment of expectedProblems) {
        expect(problems.some((p) => p.includes(fragment)), `expected a problem containing: ${fragment}\n${driftMessage(problems)}`).toBe(true);
      }
      expect(problems, driftMessage(problems)).toHaveLength(expectedProblems.length);
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
