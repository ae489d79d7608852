import { describe, expect, it } from 'vitest';
import { confirmedAgeSeconds } from './metrics-sampler.ts';

describe('confirmedAgeSeconds', () => {
  it("is the time since the relay's last resolved timestamp, none before it resolved anything", () => {
    const now = new Date('2026-12-02T16:00:10.500Z');
    const resolvedAt = BigInt(Date.parse('2026-12-02T16:00:00.000Z')) * 1_000_000n;
    expect(confirmedAgeSeconds({ lastResolved: `${resolvedAt}.0000000003` }, now)).toBe(10.5);
    expect(confirmedAgeSeconds({ lastResolved: null }, now)).toBeNull();
    // A resolved timestamp ahead of this clock is not a negative age.
    expect(confirmedAgeSeconds({ lastResolved: `${resolvedAt + 60_000_000_000n}.0000000000` }, now)).toBe(0);
  });
});
