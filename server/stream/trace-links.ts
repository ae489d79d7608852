/** The trace page's URLs (pure: pages and client components link with them). */

/** One version of a row (the newest recorded without `updated`). */
export function traceKeyHref(table: string, rowKey: string, updated?: string): string {
  return `/trace?${new URLSearchParams({ table, key: rowKey, ...(updated ? { updated } : {}) }).toString()}`;
}

/** The change a Kafka message carried: what a dead letter links to. */
export function traceOffsetHref(position: { topic: string; partition: number; offset: string | bigint }): string {
  return `/trace?${new URLSearchParams({ topic: position.topic, partition: String(position.partition), offset: String(position.offset) }).toString()}`;
}
