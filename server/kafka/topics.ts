import type { Admin } from 'kafkajs';

/**
 * Creates whichever of `topics` do not exist yet, with `numPartitions` each (existing topics keep theirs). Losing a
 * race with another process creating them is fine: createTopics then resolves false rather than failing.
 */
export async function createMissingTopics(admin: Admin, topics: readonly string[], numPartitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions })), waitForLeaders: true });
}
