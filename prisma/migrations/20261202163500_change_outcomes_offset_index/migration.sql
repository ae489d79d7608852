-- The trace looks a change up by topic/partition/offset.
CREATE INDEX "change_outcomes_topic_partition_offset_idx" ON "change_outcomes"("topic", "partition", "offset");
