-- CreateEnum
CREATE TYPE "LinkStatus" AS ENUM ('active', 'pending_reconciliation', 'ended');

-- CreateEnum
CREATE TYPE "SubscriptionStatus" AS ENUM ('provisional', 'active', 'ended');

-- CreateTable
CREATE TABLE "customers" (
    "customer_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "country" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "payment_methods" (
    "payment_method_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "bin" TEXT NOT NULL,
    "last4" TEXT NOT NULL,
    "country" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "exp_month" INTEGER NOT NULL,
    "exp_year" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payment_methods_pkey" PRIMARY KEY ("payment_method_id")
);

-- CreateTable
CREATE TABLE "partners" (
    "partner_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "live_version" TEXT NOT NULL,
    "candidate_version" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partners_pkey" PRIMARY KEY ("partner_id")
);

-- CreateTable
CREATE TABLE "membership_links" (
    "link_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "payment_method_id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "status" "LinkStatus" NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "partner_reference" TEXT,
    "benefit_starts_at" TIMESTAMPTZ(6),
    "benefit_ends_at" TIMESTAMPTZ(6),
    "ended_reason" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "membership_links_pkey" PRIMARY KEY ("link_id")
);

-- CreateTable
CREATE TABLE "dashpass_subscriptions" (
    "subscription_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "link_id" TEXT,
    "status" "SubscriptionStatus" NOT NULL,
    "active_customer_id" TEXT,
    "starts_at" TIMESTAMPTZ(6) NOT NULL,
    "ends_at" TIMESTAMPTZ(6),
    "ended_at" TIMESTAMPTZ(6),
    "ended_reason" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dashpass_subscriptions_pkey" PRIMARY KEY ("subscription_id")
);

-- CreateTable
CREATE TABLE "shadow_comparisons" (
    "id" BIGSERIAL NOT NULL,
    "partner_id" TEXT NOT NULL,
    "live_version" TEXT NOT NULL,
    "candidate_version" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "live_decision" JSONB NOT NULL,
    "candidate_decision" JSONB NOT NULL,
    "matched" BOOLEAN NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shadow_comparisons_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "payment_methods_fingerprint_idx" ON "payment_methods"("fingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "payment_methods_customer_id_fingerprint_key" ON "payment_methods"("customer_id", "fingerprint");

-- CreateIndex
CREATE INDEX "membership_links_customer_id_idx" ON "membership_links"("customer_id");

-- CreateIndex
CREATE INDEX "membership_links_partner_id_partner_reference_idx" ON "membership_links"("partner_id", "partner_reference");

-- CreateIndex
CREATE UNIQUE INDEX "membership_links_customer_id_payment_method_id_partner_id_key" ON "membership_links"("customer_id", "payment_method_id", "partner_id");

-- CreateIndex
CREATE UNIQUE INDEX "dashpass_subscriptions_active_customer_id_key" ON "dashpass_subscriptions"("active_customer_id");

-- CreateIndex
CREATE INDEX "dashpass_subscriptions_customer_id_idx" ON "dashpass_subscriptions"("customer_id");

-- CreateIndex
CREATE INDEX "shadow_comparisons_partner_id_created_at_idx" ON "shadow_comparisons"("partner_id", "created_at");

-- CreateIndex
CREATE INDEX "shadow_comparisons_partner_id_matched_idx" ON "shadow_comparisons"("partner_id", "matched");

-- AddForeignKey
ALTER TABLE "payment_methods" ADD CONSTRAINT "payment_methods_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("customer_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "membership_links" ADD CONSTRAINT "membership_links_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("customer_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "membership_links" ADD CONSTRAINT "membership_links_payment_method_id_fkey" FOREIGN KEY ("payment_method_id") REFERENCES "payment_methods"("payment_method_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "membership_links" ADD CONSTRAINT "membership_links_partner_id_fkey" FOREIGN KEY ("partner_id") REFERENCES "partners"("partner_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dashpass_subscriptions" ADD CONSTRAINT "dashpass_subscriptions_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("customer_id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dashpass_subscriptions" ADD CONSTRAINT "dashpass_subscriptions_link_id_fkey" FOREIGN KEY ("link_id") REFERENCES "membership_links"("link_id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The one-live-subscription invariant: active_customer_id is the customer exactly while the subscription is
-- provisional or active, and its unique index then admits one per customer.
ALTER TABLE "dashpass_subscriptions" ADD CONSTRAINT "dashpass_subscriptions_active_customer_check"
    CHECK ((status IN ('provisional', 'active')) = (active_customer_id IS NOT NULL)
           AND (active_customer_id IS NULL OR active_customer_id = customer_id));
