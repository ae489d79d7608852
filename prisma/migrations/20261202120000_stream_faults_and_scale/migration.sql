-- The stream at scale and under faults: "signalled" (queued in a stream workflow) is told apart from "applied"
-- (recorded by the batch activity with its effect), dead letters come from three stages and keep undecodable
-- bytes as bytes, and the DLQ topic write is recorded so a retry never produces a second copy.

-- AlterEnum
ALTER TYPE "ChangeOutcomeKind" ADD VALUE 'signalled';

-- CreateEnum
CREATE TYPE "DeadLetterStage" AS ENUM ('decode', 'processor', 'workflow');

-- AlterTable
ALTER TABLE "dead_letters" ADD COLUMN "stage" "DeadLetterStage" NOT NULL DEFAULT 'processor',
ADD COLUMN "message_key_bytes" BYTEA,
ADD COLUMN "payload_bytes" BYTEA,
ADD COLUMN "workflow_id" TEXT,
ADD COLUMN "run_id" TEXT,
ADD COLUMN "dlq_produced_at" TIMESTAMPTZ(6);

UPDATE "dead_letters" SET "stage" = 'decode' WHERE "sub_processor" = 'decode';
-- Rows recorded before this migration were written after their DLQ message was produced.
UPDATE "dead_letters" SET "dlq_produced_at" = "created_at";

-- DropIndex
DROP INDEX "dead_letters_topic_partition_offset_sub_processor_key";

-- CreateIndex
CREATE UNIQUE INDEX "dead_letters_topic_partition_offset_sub_processor_stage_key" ON "dead_letters"("topic", "partition", "offset", "sub_processor", "stage");

-- CreateIndex
CREATE INDEX "dead_letters_stage_status_idx" ON "dead_letters"("stage", "status");

-- CreateTable
CREATE TABLE "stream_applied" (
    "sub_processor" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "table_name" TEXT,
    "row_key" TEXT,
    "updated" TEXT,
    "workflow_id" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "applied_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "latency_ms" INTEGER,

    CONSTRAINT "stream_applied_pkey" PRIMARY KEY ("sub_processor","message_id")
);

-- CreateIndex
CREATE INDEX "stream_applied_table_name_row_key_idx" ON "stream_applied"("table_name", "row_key");

-- CreateIndex
CREATE INDEX "stream_applied_applied_at_idx" ON "stream_applied"("applied_at");

-- CreateIndex
CREATE INDEX "change_outcomes_outcome_created_at_idx" ON "change_outcomes"("outcome", "created_at");
