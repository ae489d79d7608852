-- Benefit lifecycle: a subscription is `scheduled` until its start date, `active` from then, and `lapsed` at
-- its end date. The type is rebuilt (not ALTER TYPE … ADD VALUE) so the new values can be used in this same
-- transaction.
ALTER TABLE "dashpass_subscriptions" DROP CONSTRAINT "dashpass_subscriptions_active_customer_check";
ALTER TYPE "SubscriptionStatus" RENAME TO "SubscriptionStatus_old";
CREATE TYPE "SubscriptionStatus" AS ENUM ('provisional', 'scheduled', 'active', 'lapsed', 'ended');
ALTER TABLE "dashpass_subscriptions" ALTER COLUMN "status" TYPE "SubscriptionStatus" USING ("status"::text::"SubscriptionStatus");
DROP TYPE "SubscriptionStatus_old";

-- Subscriptions granted before this migration whose benefit has not started yet (RBC) are scheduled.
UPDATE "dashpass_subscriptions" SET "status" = 'scheduled' WHERE "status" = 'active' AND "starts_at" > now();

-- The one-live-subscription invariant: scheduled counts as live (the customer holds that benefit, only later),
-- lapsed and ended do not. active_customer_id is the customer exactly while the subscription is live.
ALTER TABLE "dashpass_subscriptions" ADD CONSTRAINT "dashpass_subscriptions_active_customer_check"
    CHECK ((status IN ('provisional', 'scheduled', 'active')) = (active_customer_id IS NOT NULL)
           AND (active_customer_id IS NULL OR active_customer_id = customer_id));

-- The lifecycle sweep finds due subscriptions by their dates.
CREATE INDEX "dashpass_subscriptions_status_starts_at_idx" ON "dashpass_subscriptions"("status", "starts_at");
CREATE INDEX "dashpass_subscriptions_status_ends_at_idx" ON "dashpass_subscriptions"("status", "ends_at");
