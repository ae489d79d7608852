import type { Pgoutput } from 'pg-logical-replication';
import { describe, expect, it } from 'vitest';
import type { ChangeEnvelope } from '../../server/stream/envelope.ts';
import { changeMessages, UnpublishableChangeError, type PublishedTable } from './change-messages.ts';
import { PG_TYPE } from './row-encoding.ts';

const table: PublishedTable = { table: 'inventory_levels', topic: 'inventory_levels', primaryKey: ['store_id', 'sku'] };
const column = (name: string, typeOid: number): Pgoutput.RelationColumn => ({
  name,
  typeOid,
  flags: 0,
  typeMod: -1,
  typeSchema: null,
  typeName: null,
  parser: (raw: unknown) => raw,
});
const relation: Pgoutput.MessageRelation = {
  tag: 'relation',
  relationOid: 1,
  schema: 'public',
  name: 'inventory_levels',
  replicaIdentity: 'full',
  columns: [column('store_id', PG_TYPE.text), column('sku', PG_TYPE.text), column('on_hand', PG_TYPE.int4), column('updated_at', PG_TYPE.timestamptz)],
  keyColumns: ['store_id', 'sku'],
};
const row = (storeId: string, onHand: number, at: string) => ({ store_id: storeId, sku: 'SKU-1', on_hand: String(onHand), updated_at: at });
const wall = 1_795_428_000_123_456_000n;

describe('changeMessages', () => {
  it('writes an update as the changefeed envelope, fields in order, keyed by the JSON primary key', () => {
    const update: Pgoutput.MessageUpdate = {
      tag: 'update',
      relation,
      key: null,
      old: row('S-1', 5, '2026-11-23 10:00:00.000001+00'),
      new: row('S-1', 4, '2026-11-23 10:00:01.5+00'),
    };
    expect(changeMessages(table, update, wall, 7)).toEqual([
      {
        topic: 'inventory_levels',
        key: '["S-1","SKU-1"]',
        value:
          '{"after":{"store_id":"S-1","sku":"SKU-1","on_hand":4,"updated_at":"2026-11-23T10:00:01.500000Z"},' +
          '"before":{"store_id":"S-1","sku":"SKU-1","on_hand":5,"updated_at":"2026-11-23T10:00:00.000001Z"},' +
          '"key":["S-1","SKU-1"],"updated":"1795428000123456000.0000000007"}',
      },
    ]);
  });

  it('gives an insert a null before and a delete a null after with the old row as before', () => {
    const [insert] = changeMessages(table, { tag: 'insert', relation, new: row('S-1', 1, '2026-11-23 10:00:00+00') }, wall, 0);
    expect(JSON.parse(insert?.value ?? '')).toMatchObject({ before: null, after: { on_hand: 1 }, updated: '1795428000123456000.0000000000' });
    const [remove] = changeMessages(table, { tag: 'delete', relation, key: null, old: row('S-1', 1, '2026-11-23 10:00:00+00') }, wall, 1);
    expect(remove?.key).toBe('["S-1","SKU-1"]');
    expect(JSON.parse(remove?.value ?? '')).toEqual({
      after: null,
      before: { store_id: 'S-1', sku: 'SKU-1', on_hand: 1, updated_at: '2026-11-23T10:00:00.000000Z' },
      key: ['S-1', 'SKU-1'],
      updated: '1795428000123456000.0000000001',
    });
  });

  it('splits a primary-key change into a delete of the old key and an insert of the new one', () => {
    const update: Pgoutput.MessageUpdate = {
      tag: 'update',
      relation,
      key: null,
      old: row('S-1', 5, '2026-11-23 10:00:00+00'),
      new: row('S-2', 5, '2026-11-23 10:00:00+00'),
    };
    const [gone, added] = changeMessages(table, update, wall, 2).map((message) => JSON.parse(message.value) as ChangeEnvelope);
    expect(gone).toMatchObject({ key: ['S-1', 'SKU-1'], after: null, before: { store_id: 'S-1' }, updated: '1795428000123456000.0000000002' });
    expect(added).toMatchObject({ key: ['S-2', 'SKU-1'], after: { store_id: 'S-2' }, before: null, updated: '1795428000123456000.0000000003' });
  });

  it('has no before row for an update when the table is not REPLICA IDENTITY FULL', () => {
    const update: Pgoutput.MessageUpdate = { tag: 'update', relation, key: null, old: null, new: row('S-1', 5, '2026-11-23 10:00:00+00') };
    expect(JSON.parse(changeMessages(table, update, wall, 0)[0]?.value ?? '')).toMatchObject({ before: null, key: ['S-1', 'SKU-1'] });
  });

  it('refuses a change without its primary key rather than publish it under a wrong key', () => {
    const insert: Pgoutput.MessageInsert = { tag: 'insert', relation, new: { store_id: 'S-1', on_hand: '1' } };
    expect(() => changeMessages(table, insert, wall, 0)).toThrow(UnpublishableChangeError);
  });
});
