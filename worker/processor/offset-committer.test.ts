import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createOffsetCommitter, type PartitionOffset } from './offset-committer.ts';

const log = pino({ level: 'silent' });

describe('createOffsetCommitter', () => {
  it('commits the newest processed offset of every partition in one call after the linger, as the next offset to read', async () => {
    vi.useFakeTimers();
    try {
      const commits: PartitionOffset[][] = [];
      const committer = createOffsetCommitter(async (offsets) => void commits.push(offsets), { lingerMs: 100, log });
      committer.processed('t', 0, '4');
      committer.processed('t', 1, '9');
      committer.processed('t', 0, '7');
      expect(commits).toEqual([]);
      await vi.advanceTimersByTimeAsync(100);
      expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '8' }, { topic: 't', partition: 1, offset: '10' }]]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(commits).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flush commits at once; a failed commit is dropped, not retried, and later offsets still commit', async () => {
    const commits: PartitionOffset[][] = [];
    let fail = true;
    const committer = createOffsetCommitter(
      async (offsets) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (fail) {
          fail = false;
          throw new Error('rebalance in progress');
        }
        commits.push(offsets);
      },
      { lingerMs: 60_000, log },
    );
    committer.processed('t', 0, '1');
    await committer.flush();
    expect(commits).toEqual([]);
    committer.processed('t', 0, '2');
    committer.processed('t', 1, '5');
    const [slow, quick] = [committer.flush(), committer.flush()];
    await Promise.all([slow, quick]);
    expect(commits).toEqual([[{ topic: 't', partition: 0, offset: '3' }, { topic: 't', partition: 1, offset: '6' }]]);
    await committer.flush();
    expect(commits).toHaveLength(1);
  });
});
