import type { Logger } from 'pino';

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read: the last processed one + 1, as Kafka commits it. */
  offset: string;
}

/** How offsets reach Kafka: kafkajs' `consumer.commitOffsets`. */
export type CommitOffsets = (offsets: PartitionOffset[]) => Promise<void>;

export interface OffsetCommitter {
  /** Everything up to and including `offset` on this partition is durable: it may be committed. */
  processed(topic: string, partition: number, offset: string): void;
  /** Commits what is pending now and waits for it (on stop and on rebalance). */
  flush(): Promise<void>;
}

/**
 * Commits a consumer's processed offsets in the background: one OffsetCommit for all its partitions at most every
 * `lingerMs`, instead of one per partition batch awaited before that partition's next fetch. Hand-written because
 * kafkajs with autoCommit commits after every batch whatever its interval settings say.
 *
 * Offsets still move only after their changes' effects are durable (`processed` is called after). A commit that
 * fails (a rebalance, a broker restart) or never happens (a crash) means redelivery, which the watermarks turn
 * into duplicates; it is logged, not retried.
 */
export function createOffsetCommitter(commit: CommitOffsets, { lingerMs, log }: { lingerMs: number; log: Logger }): OffsetCommitter {
  const pending = new Map<string, PartitionOffset>();
  let timer: NodeJS.Timeout | undefined;
  // Commits run one after another, so an older offset can never land after a newer one.
  let chain: Promise<void> = Promise.resolve();

  const commitPending = async (): Promise<void> => {
    if (pending.size === 0) return;
    const offsets = [...pending.values()];
    pending.clear();
    try {
      await commit(offsets);
    } catch (err) {
      log.warn({ err, offsets }, 'offset commit failed; these changes will be redelivered and dropped as duplicates');
    }
  };
  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    chain = chain.then(commitPending);
    return chain;
  };

  return {
    processed(topic, partition, offset) {
      pending.set(`${topic}\u0000${partition}`, { topic, partition, offset: (BigInt(offset) + 1n).toString() });
      timer ??= setTimeout(() => void flush(), lingerMs);
    },
    flush,
  };
}
