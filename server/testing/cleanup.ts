/** Runs every cleanup step even when an earlier one fails, then reports all failures together. */
export async function cleanupAll(label: string, steps: (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `cleanup failed for ${label}`);
}
