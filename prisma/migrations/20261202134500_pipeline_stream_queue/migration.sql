-- Pipeline health records how many stream messages are queued in workflows (signalled, neither applied nor
-- dead-lettered yet) and when the oldest of them was signalled; null on samples taken before this was measured.

-- AlterTable
ALTER TABLE "pipeline_samples" ADD COLUMN "stream_queued" INTEGER,
ADD COLUMN "stream_queued_oldest_at" TIMESTAMPTZ(6);
