-- CreateEnum
CREATE TYPE "AdjustmentReason" AS ENUM ('receive', 'damage', 'expire', 'vendor_mismatch', 'cycle_count', 'sale');

-- CreateEnum
CREATE TYPE "ChangeOutcomeKind" AS ENUM ('applied', 'ignored', 'duplicate', 'stale', 'dead_lettered', 'replayed');

-- CreateEnum
CREATE TYPE "DeadLetterStatus" AS ENUM ('pending', 'replayed', 'superseded', 'discarded');

-- CreateEnum
CREATE TYPE "SuggestionStatus" AS ENUM ('open', 'closed');

-- CreateTable
CREATE TABLE "inventory_adjustments" (
    "id" BIGSERIAL NOT NULL,
    "store_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "lot_id" TEXT,
    "delta" INTEGER NOT NULL,
    "reason" "AdjustmentReason" NOT NULL,
    "note" TEXT,
    "actor" TEXT NOT NULL,
    "on_hand_after" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inventory_adjustments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processor_watermarks" (
    "sub_processor" TEXT NOT NULL,
    "table_name" TEXT NOT NULL,
    "row_key" TEXT NOT NULL,
    "updated_wall" BIGINT NOT NULL,
    "updated_logical" INTEGER NOT NULL,
    "processed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processor_watermarks_pkey" PRIMARY KEY ("sub_processor","table_name","row_key")
);

-- CreateTable
CREATE TABLE "change_outcomes" (
    "id" BIGSERIAL NOT NULL,
    "table_name" TEXT NOT NULL,
    "row_key" TEXT NOT NULL,
    "updated" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "sub_processor" TEXT NOT NULL,
    "outcome" "ChangeOutcomeKind" NOT NULL,
    "workflow_id" TEXT,
    "detail" TEXT,
    "latency_ms" INTEGER,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "change_outcomes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dead_letters" (
    "id" BIGSERIAL NOT NULL,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "message_key" TEXT,
    "payload" TEXT NOT NULL,
    "headers" JSONB NOT NULL,
    "sub_processor" TEXT NOT NULL,
    "table_name" TEXT,
    "row_key" TEXT,
    "updated" TEXT,
    "error_message" TEXT NOT NULL,
    "error_stack" TEXT,
    "attempts" INTEGER NOT NULL,
    "first_failed_at" TIMESTAMPTZ(6) NOT NULL,
    "last_failed_at" TIMESTAMPTZ(6) NOT NULL,
    "status" "DeadLetterStatus" NOT NULL DEFAULT 'pending',
    "resolution" TEXT,
    "resolved_at" TIMESTAMPTZ(6),
    "resolved_by" TEXT,
    "replay_attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "replenishment_suggestions" (
    "store_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "on_hand" INTEGER NOT NULL,
    "reorder_point" INTEGER NOT NULL,
    "suggested_quantity" INTEGER NOT NULL,
    "status" "SuggestionStatus" NOT NULL,
    "opened_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,
    "closed_at" TIMESTAMPTZ(6),

    CONSTRAINT "replenishment_suggestions_pkey" PRIMARY KEY ("store_id","sku")
);

-- CreateTable
CREATE TABLE "expiry_write_offs" (
    "lot_id" TEXT NOT NULL,
    "store_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "expires_on" DATE NOT NULL,
    "written_off_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "expiry_write_offs_pkey" PRIMARY KEY ("lot_id")
);

-- CreateIndex
CREATE INDEX "inventory_adjustments_store_id_sku_created_at_idx" ON "inventory_adjustments"("store_id", "sku", "created_at");

-- CreateIndex
CREATE INDEX "inventory_adjustments_created_at_idx" ON "inventory_adjustments"("created_at");

-- CreateIndex
CREATE INDEX "change_outcomes_table_name_row_key_created_at_idx" ON "change_outcomes"("table_name", "row_key", "created_at");

-- CreateIndex
CREATE INDEX "change_outcomes_created_at_idx" ON "change_outcomes"("created_at");

-- CreateIndex
CREATE INDEX "dead_letters_status_created_at_idx" ON "dead_letters"("status", "created_at");

-- CreateIndex
CREATE INDEX "dead_letters_topic_created_at_idx" ON "dead_letters"("topic", "created_at");

-- CreateIndex
CREATE INDEX "dead_letters_sub_processor_created_at_idx" ON "dead_letters"("sub_processor", "created_at");

-- CreateIndex
CREATE INDEX "dead_letters_created_at_idx" ON "dead_letters"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_topic_partition_offset_sub_processor_key" ON "dead_letters"("topic", "partition", "offset", "sub_processor");

-- CreateIndex
CREATE INDEX "replenishment_suggestions_status_updated_at_idx" ON "replenishment_suggestions"("status", "updated_at");

-- CreateIndex
CREATE INDEX "expiry_write_offs_store_id_written_off_at_idx" ON "expiry_write_offs"("store_id", "written_off_at");

-- Changefeed envelopes carry the full `before` row, which pgoutput only sends with REPLICA IDENTITY FULL.
ALTER TABLE "inventory_levels" REPLICA IDENTITY FULL;
ALTER TABLE "inventory_lots" REPLICA IDENTITY FULL;
