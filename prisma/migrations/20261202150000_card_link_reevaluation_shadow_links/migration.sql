-- Re-evaluation: a card's evaluation generation, part of its card-link workflow id. Bumped by compare-and-set
-- when a decided card is re-evaluated, so concurrent re-submissions agree on one new workflow.
ALTER TABLE "payment_methods" ADD COLUMN "link_generation" INTEGER NOT NULL DEFAULT 0;

-- Shadow mode compares links, not only decisions: what each version would write, and the kinds of mismatch.
ALTER TABLE "shadow_comparisons" ADD COLUMN "mismatch_kinds" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "live_link" JSONB,
ADD COLUMN "candidate_link" JSONB;

-- Comparisons from before links were compared judged the eligibility answer alone.
UPDATE "shadow_comparisons"
   SET "mismatch_kinds" = CASE WHEN "candidate_decision"->>'kind' = 'error' THEN ARRAY['error'] ELSE ARRAY['eligibility'] END
 WHERE NOT "matched";
