import type { SubProcessor } from './sub-processor.ts';
import { availabilitySync, expiryWriteOff, lowStockReplenishment } from './sub-processors/index.ts';
import type { ChangefeedTable, TableRows } from './tables.ts';

type Registry = { [T in ChangefeedTable]: SubProcessor<TableRows[T]>[] };

/**
 * Which sub-processors see which table's changes. Attaching an existing sub-processor to another table is
 * one line here (its `accepts` decides which of that table's changes it handles).
 */
export const subProcessorsByTable: Registry = {
  inventory_levels: [availabilitySync, lowStockReplenishment],
  inventory_lots: [availabilitySync, expiryWriteOff],
};
