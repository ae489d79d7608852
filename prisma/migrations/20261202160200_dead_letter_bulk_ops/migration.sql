-- A read-only console role: sees every area, changes nothing.
ALTER TYPE "UserRole" ADD VALUE IF NOT EXISTS 'viewer';

-- Durable bulk replay / discard of dead letters: one row per operation (a Temporal workflow carries it out), one per
-- entry it processed, and the claims that keep two operations from processing one entry at once.
CREATE TYPE "DeadLetterBulkKind" AS ENUM ('replay', 'discard');
CREATE TYPE "DeadLetterBulkStatus" AS ENUM ('running', 'finished', 'cancelled', 'failed');
CREATE TYPE "DeadLetterBulkResult" AS ENUM ('replayed', 'superseded', 'discarded', 'failed', 'skipped');

CREATE TABLE "dead_letter_bulk_ops" (
    "id" TEXT NOT NULL,
    "kind" "DeadLetterBulkKind" NOT NULL,
    "status" "DeadLetterBulkStatus" NOT NULL DEFAULT 'running',
    "selection" JSONB NOT NULL,
    "max_id" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    "rate_per_second" DOUBLE PRECISION NOT NULL,
    "total" INTEGER NOT NULL,
    "done" INTEGER NOT NULL DEFAULT 0,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "superseded" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    "cursor" BIGINT NOT NULL,
    "started_by" TEXT NOT NULL,
    "started_by_role" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "cancel_requested_by" TEXT,
    "cancel_requested_at" TIMESTAMPTZ(6),
    "error" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(6),

    CONSTRAINT "dead_letter_bulk_ops_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "dead_letter_bulk_ops_status_created_at_idx" ON "dead_letter_bulk_ops"("status", "created_at");
CREATE INDEX "dead_letter_bulk_ops_created_at_idx" ON "dead_letter_bulk_ops"("created_at");

CREATE TABLE "dead_letter_bulk_results" (
    "op_id" TEXT NOT NULL,
    "dead_letter_id" BIGINT NOT NULL,
    "result" "DeadLetterBulkResult" NOT NULL,
    "detail" TEXT,
    "processed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letter_bulk_results_pkey" PRIMARY KEY ("op_id", "dead_letter_id")
);
CREATE INDEX "dead_letter_bulk_results_dead_letter_id_idx" ON "dead_letter_bulk_results"("dead_letter_id");
ALTER TABLE "dead_letter_bulk_results" ADD CONSTRAINT "dead_letter_bulk_results_op_id_fkey" FOREIGN KEY ("op_id") REFERENCES "dead_letter_bulk_ops"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- At most one operation holds an entry (the primary key); a claim of an operation that is no longer running is stale.
CREATE TABLE "dead_letter_bulk_claims" (
    "dead_letter_id" BIGINT NOT NULL,
    "op_id" TEXT NOT NULL,
    "claimed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letter_bulk_claims_pkey" PRIMARY KEY ("dead_letter_id")
);
CREATE INDEX "dead_letter_bulk_claims_op_id_idx" ON "dead_letter_bulk_claims"("op_id");
ALTER TABLE "dead_letter_bulk_claims" ADD CONSTRAINT "dead_letter_bulk_claims_op_id_fkey" FOREIGN KEY ("op_id") REFERENCES "dead_letter_bulk_ops"("id") ON DELETE CASCADE ON UPDATE CASCADE;
