-- Retention: per table, the time before which rows may already have been deleted. The retention workflow moves it
-- forward before it deletes, so a trace of an older change can say "expired" instead of looking unprocessed.
CREATE TABLE "retention_horizons" (
    "table_name" TEXT NOT NULL,
    "expired_before" TIMESTAMPTZ(6) NOT NULL,
    "retain_days" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "retention_horizons_pkey" PRIMARY KEY ("table_name")
);
