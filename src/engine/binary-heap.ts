// A binary heap ordered by a comparator (`first(a, b)`: a comes out before b). Used for SentencePiece's
// best-merge queue and for sampling's top-k; not a general collection (no removal but the top).

/** Items kept so the one that comes out first is always on top. */
export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly first: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The item that comes out next (undefined when empty). */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let index = items.length - 1; index > 0;) {
      const parent = (index - 1) >> 1;
      if (!this.first(items[index], items[parent])) break;
      [items[index], items[parent]] = [items[parent], items[index]];
      index = parent;
    }
  }

  /** Removes and returns the top item. */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0) this.replaceTop(last!);
    return top;
  }

  /** Puts `item` in place of the top item (cheaper than pop then push). */
  replaceTop(item: T): void {
    const items = this.items;
    items[0] = item;
    for (let index = 0; ;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let best = index;
      if (left < items.length && this.first(items[left], items[best])) best = left;
      if (right < items.length && this.first(items[right], items[best])) best = right;
      if (best === index) return;
      [items[index], items[best]] = [items[best], items[index]];
      index = best;
    }
  }

  /** The items, in no particular order. */
  toArray(): T[] {
    return [...this.items];
  }
}
