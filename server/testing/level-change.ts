import type { AnyTableChange } from '../stream/run-sub-processor.ts';

/** One decoded inventory_levels update (store st-1, SKU sku-1, on hand 1) for unit tests of the processing framework. */
export const levelChange: AnyTableChange = {
  table: 'inventory_levels',
  key: ['st-1', 'sku-1'],
  rowKey: '["st-1","sku-1"]',
  op: 'update',
  before: null,
  after: { store_id: 'st-1', sku: 'sku-1', on_hand: 1 },
  updated: { wall: 1_763_900_000_000_000_000n, logical: 0 },
  updatedText: '1763900000000000000.0000000000',
  source: { topic: 'inventory_levels', partition: 0, offset: '5' },
};
