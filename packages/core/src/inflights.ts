/**
 * @module inflights
 * The bounded window of MsgApps sent to a follower in replicate state and not yet acknowledged
 * (etcd's tracker/inflights). A ring buffer of (last index, bytes) so adds and frees are O(1)
 * amortized and allocate nothing once grown.
 */

export class Inflights {
  private start = 0;
  private count = 0;
  private bytesInFlight = 0;
  private indexes: number[] = [];
  private sizes: number[] = [];

  /** `maxSize` messages, and (when maxBytes > 0) at most `maxBytes` bytes of entry data. */
  constructor(
    readonly maxSize: number,
    readonly maxBytes = 0,
  ) {}

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.bytesInFlight;
  }

  /** Records a sent MsgApp whose last entry is `index`. Indexes must be increasing. */
  add(index: number, bytes: number): void {
    const cap = this.indexes.length;
    if (this.count === cap) this.grow();
    let next = this.start + this.count;
    const size = this.indexes.length;
    if (next >= size) next -= size;
    this.indexes[next] = index;
    this.sizes[next] = bytes;
    this.count++;
    this.bytesInFlight += bytes;
  }

  private grow(): void {
    const size = this.indexes.length;
    const newSize = size === 0 ? 1 : Math.min(size * 2, this.maxSize);
    const idx = new Array<number>(newSize);
    const sz = new Array<number>(newSize);
    for (let i = 0; i < this.count; i++) {
      let j = this.start + i;
      if (j >= size) j -= size;
      idx[i] = this.indexes[j]!;
      sz[i] = this.sizes[j]!;
    }
    this.indexes = idx;
    this.sizes = sz;
    this.start = 0;
  }

  /** Frees every message whose last index is <= `to` (they were acknowledged). */
  freeLE(to: number): void {
    if (this.count === 0 || to < this.indexes[this.start]!) return;
    const size = this.indexes.length;
    let i = 0;
    let idx = this.start;
    let freed = 0;
    for (; i < this.count; i++) {
      if (to < this.indexes[idx]!) break;
      freed += this.sizes[idx]!;
      idx++;
      if (idx >= size) idx -= size;
    }
    this.count -= i;
    this.bytesInFlight -= freed;
    this.start = this.count === 0 ? 0 : idx;
  }

  /** Frees the oldest message (used when a heartbeat response shows the follower is alive). */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.freeLE(this.indexes[this.start]!);
  }

  full(): boolean {
    return this.count >= this.maxSize || (this.maxBytes > 0 && this.bytesInFlight >= this.maxBytes);
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytesInFlight = 0;
  }
}
