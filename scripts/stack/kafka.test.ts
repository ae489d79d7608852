import { describe, expect, it } from 'vitest';
import { groupIdsCoveringOffsetsPartitions, javaStringHash } from './kafka.ts';

describe('javaStringHash', () => {
  it("is Java's String.hashCode, overflow included", () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
  });
});

describe('groupIdsCoveringOffsetsPartitions', () => {
  it('names one group per __consumer_offsets partition, in partition order', () => {
    const groups = groupIdsCoveringOffsetsPartitions(10);
    expect(groups).toHaveLength(10);
    expect(groups.map((id) => (javaStringHash(id) & 0x7fffffff) % 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(groups).size).toBe(10);
  });
});
