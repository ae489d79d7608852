-- CreateEnum
CREATE TYPE "UserRole" AS ENUM ('associate', 'support', 'engineer', 'admin');

-- CreateTable
CREATE TABLE "users" (
    "user_id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "email" TEXT,
    "role" "UserRole" NOT NULL,
    "password_hash" TEXT,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "last_login_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateTable
CREATE TABLE "pipeline_samples" (
    "id" SERIAL NOT NULL,
    "table_name" TEXT NOT NULL,
    "sampled_at" TIMESTAMPTZ(6) NOT NULL,
    "slot_lag_bytes" BIGINT,
    "consumer_lag" BIGINT NOT NULL,
    "partition_lag" JSONB NOT NULL,
    "messages_per_second" DOUBLE PRECISION NOT NULL,
    "workflow_backlog" INTEGER,
    "dead_letters" INTEGER NOT NULL,

    CONSTRAINT "pipeline_samples_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "pipeline_samples_table_name_sampled_at_idx" ON "pipeline_samples"("table_name", "sampled_at");

-- CreateIndex
CREATE INDEX "pipeline_samples_sampled_at_idx" ON "pipeline_samples"("sampled_at");

-- CreateTable
CREATE TABLE "stream_fault_drills" (
    "sub_processor" TEXT NOT NULL,
    "table_name" TEXT NOT NULL,
    "row_key" TEXT NOT NULL,
    "error_message" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stream_fault_drills_pkey" PRIMARY KEY ("sub_processor","table_name","row_key")
);
