/**
 * The AppendEntries in flight to one follower, oldest first, with their byte
 * sizes: the leader stops sending when either the count or the bytes hit
 * their cap, and frees them as the follower acknowledges.
 */
export class Inflights {
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(readonly maxCount: number, readonly maxBytes: number) {}

  add(lastIndex: number, sizeBytes: number): void {
    this.indexes.push(lastIndex);
    this.sizes.push(sizeBytes);
    this.bytes += sizeBytes;
  }

  /** Frees every message whose last index is <= `index`. */
  freeLE(index: number): void {
    while (this.head < this.indexes.length && this.indexes[this.head]! <= index) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.indexes.length) {
      this.indexes.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  full(): boolean {
    return this.count() >= this.maxCount || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  count(): number {
    return this.indexes.length - this.head;
  }

  inflightBytes(): number {
    return this.bytes;
  }

  reset(): void {
    this.indexes.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.bytes = 0;
  }
}
