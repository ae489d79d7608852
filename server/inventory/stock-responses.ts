import type { StockLevel } from './stock.ts';

/** POST /api/inventory/adjustments: the adjustment's id and the row as it now is. */
export interface StockAdjustedResponse {
  adjustmentId: string;
  storeId: string;
  sku: string;
  onHand: number;
  updatedAt: string;
}

/** POST /api/inventory/lots: the lot received, and the row's on-hand after it. */
export interface LotReceivedResponse {
  adjustmentId: string;
  lotId: string;
  onHand: number;
  updatedAt: string;
}

/** POST /api/inventory/lots/:lotId/write-off: how much was written off (0 when the lot was already empty). */
export interface LotWrittenOffResponse {
  writtenOff: number;
  onHand: number;
}

export function stockAdjustedResponse(level: StockLevel): StockAdjustedResponse {
  return { adjustmentId: level.adjustmentId.toString(), storeId: level.storeId, sku: level.sku, onHand: level.onHand, updatedAt: level.updatedAt.toISOString() };
}

export function lotReceivedResponse(level: StockLevel & { lotId: string }): LotReceivedResponse {
  return { adjustmentId: level.adjustmentId.toString(), lotId: level.lotId, onHand: level.onHand, updatedAt: level.updatedAt.toISOString() };
}
