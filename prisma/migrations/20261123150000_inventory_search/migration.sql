-- The row version each stock change wrote, so the console can match the change with its changefeed message
-- (commit HLC >= this, and below the row's next write). Nullable: older ledger rows never recorded it.
-- The inventory search itself needs no new index: EXPLAIN at 100k inventory_levels rows shows every filter
-- combination as a range scan of inventory_levels_pkey (store, SKU prefix, keyset cursor) or of
-- inventory_levels_sku_idx (SKU prefix or item name across stores), a few ms per page.

-- AlterTable
ALTER TABLE "inventory_adjustments" ADD COLUMN "row_updated_at" TIMESTAMPTZ(6);
