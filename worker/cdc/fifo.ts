/**
 * A first-in first-out queue with O(1) shift. `Array.prototype.shift` copies the whole array once it is
 * large, which made the relay's queue quadratic under a backlog (tens of thousands of items waiting).
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  last(): T | undefined {
    return this.length > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** Replaces the newest item; the queue must not be empty. */
  replaceLast(item: T): void {
    if (this.length === 0) throw new RangeError('replaceLast on an empty queue');
    this.items[this.items.length - 1] = item;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    // Drop the consumed prefix once it is most of the array: amortised O(1), memory bounded by twice the live items.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
