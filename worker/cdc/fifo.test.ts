import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('gives items back in the order they went in, across compactions', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    for (let n = 0; n < 5000; n++) {
      fifo.push(n);
      if (n % 3 === 0) out.push(fifo.shift() as number);
    }
    while (fifo.length > 0) out.push(fifo.shift() as number);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, n) => n));
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.peek()).toBeUndefined();
  });

  it('peeks at the oldest, and reads or replaces the newest', () => {
    const fifo = new Fifo<string>();
    expect(fifo.last()).toBeUndefined();
    expect(() => fifo.replaceLast('x')).toThrow(RangeError);
    fifo.push('a');
    fifo.push('b');
    fifo.replaceLast('c');
    expect([fifo.peek(), fifo.last(), fifo.length]).toEqual(['a', 'c', 2]);
    fifo.shift();
    fifo.shift();
    expect(fifo.last()).toBeUndefined();
  });

  it('shifts a large backlog in linear time', () => {
    const fifo = new Fifo<number>();
    for (let n = 0; n < 200_000; n++) fifo.push(n);
    const started = performance.now();
    let sum = 0;
    while (fifo.length > 0) sum += fifo.shift() as number;
    expect(sum).toBe((199_999 * 200_000) / 2);
    // An O(n²) shift takes seconds here; linear takes a few milliseconds.
    expect(performance.now() - started).toBeLessThan(500);
  });
});
