/**
 * What the inventory API routes accept: every request schema of /api/inventory/** in one place. The stock, search
 * and re-drive modules define the schemas their functions validate again; the routes' own ones are here.
 */
import { z } from 'zod';
import { identifierText } from '../http/text-rules.ts';
import { writeOffLotSchema } from './stock.ts';

export { stockAdjustmentSchema, receiveLotSchema, writeOffLotSchema } from './stock.ts';
export { inventorySearchSchema, parseSearchParams, stockKeySchema, parseStockKey } from './search.ts';
export { redriveSelectionSchema, redriveRequestSchema, parseRedriveQuery } from './redrive.ts';

/** The :id of /api/inventory/adjustments/:id/downstream. */
export const adjustmentIdSchema = z
  .string()
  .regex(/^[1-9]\d{0,17}$/, 'the adjustment id must be a positive whole number')
  .transform((id) => BigInt(id));

/** The :lotId of /api/inventory/lots/:lotId/write-off. */
export const lotIdParamsSchema = z.object({ lotId: identifierText('lotId', 120) });

/** The body of POST /api/inventory/lots/:lotId/write-off (the lot comes from the path). */
export const writeOffBodySchema = writeOffLotSchema.omit({ lotId: true });
