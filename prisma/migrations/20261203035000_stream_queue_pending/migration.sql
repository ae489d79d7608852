-- The stream messages queued in workflows, carried from one pipeline sample to the next so a sample reads only the
-- signals since the previous one plus the messages still queued (server/stream/stream-queue.ts).
CREATE TABLE "stream_queue_pending" (
    "table_name" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "sub_processor" TEXT NOT NULL,
    "row_key" TEXT NOT NULL,
    "updated" TEXT NOT NULL,
    "signalled_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "stream_queue_pending_pkey" PRIMARY KEY ("table_name","topic","sub_processor","row_key","updated")
);

-- Per table and topic, the sample time up to which stream_queue_pending holds every queued message (less the
-- commit margin); no row means the next sample seeds it from change_outcomes' retention horizon.
CREATE TABLE "stream_queue_scans" (
    "table_name" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "scanned_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "stream_queue_scans_pkey" PRIMARY KEY ("table_name","topic")
);
