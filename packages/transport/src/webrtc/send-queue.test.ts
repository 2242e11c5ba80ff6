import { describe, expect, it } from 'vitest';
import { Reassembler } from './chunk-codec.js';
import { SendQueue, type ChunkSink } from './send-queue.js';

/** A data channel stand-in: buffers what is sent until `drain` empties it to the reassembler. */
class FakeChannel implements ChunkSink {
  buffered: Uint8Array[] = [];
  readonly received: Uint8Array[] = [];
  private readonly reassembler = new Reassembler('fake', 1 << 24);
  maxSeen = 0;
  messages = 0;
  get bufferedAmount(): number {
    return this.buffered.reduce((s, c) => s + c.byteLength, 0);
  }
  send(chunk: Uint8Array): void {
    this.buffered.push(chunk);
    this.maxSeen = Math.max(this.maxSeen, this.bufferedAmount);
  }
  drain(): void {
    for (const c of this.buffered) {
      this.messages += 1;
      const d = this.reassembler.push(c);
      if (d.kind === 'frame') this.received.push(d.frame);
      if (d.kind === 'batch') this.received.push(...d.frames);
    }
    this.buffered = [];
  }
}

const opts = { maxQueuedBytes: 10_000, highWaterMark: 1000, chunkSize: 256, maxFrameBytes: 1 << 20 };

function frame(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

describe('SendQueue', () => {
  it('stops writing at the high-water mark and resumes when the channel drains', () => {
    const q = new SendQueue(opts);
    const ch = new FakeChannel();
    const frames = [frame(3000, 1), frame(10, 2), frame(2500, 3)];
    for (const f of frames) expect(q.push(f)).toBe(true);
    q.pump(ch);
    // Writes stop once the buffer reaches the mark; at most one chunk over it.
    expect(ch.bufferedAmount).toBeGreaterThanOrEqual(1000);
    expect(ch.maxSeen).toBeLessThan(1000 + 256);
    expect(q.queuedBytes).toBe(5510);
    let rounds = 0;
    while (!q.isEmpty) {
      ch.drain();
      q.pump(ch);
      rounds += 1;
      expect(ch.maxSeen).toBeLessThan(1000 + 256);
    }
    ch.drain();
    expect(rounds).toBeGreaterThan(3);
    expect(ch.received).toEqual(frames);
    expect(q.queuedBytes).toBe(0);
  });

  it('reads the channel\'s bufferedAmount only when what it wrote could have reached the high-water mark', () => {
    const q = new SendQueue(opts);
    const ch = new FakeChannel();
    let reads = 0;
    const counting: ChunkSink = {
      get bufferedAmount() {
        reads += 1;
        return ch.bufferedAmount;
      },
      send: (c) => ch.send(c),
    };
    // 100 small frames, one per pump, drained between pumps: ~10 bytes each, 1000-byte mark.
    for (let i = 0; i < 100; i++) {
      q.push(frame(10, i));
      q.pump(counting);
      ch.drain();
    }
    expect(ch.received).toHaveLength(100);
    // One read per ~1000 bytes written, not one per write.
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(10);
    expect(q.bufferReads).toBe(reads);
  });

  it('is bounded: refuses a frame that would exceed maxQueuedBytes, and accepts again after draining', () => {
    const q = new SendQueue(opts);
    expect(q.push(frame(6000, 1))).toBe(true);
    expect(q.push(frame(4000, 2))).toBe(true);
    expect(q.push(frame(1, 3))).toBe(false);
    expect(q.queuedBytes).toBe(10_000);
    const ch = new FakeChannel();
    while (q.queuedBytes > 5000) {
      q.pump(ch);
      ch.drain();
    }
    expect(q.push(frame(1, 3))).toBe(true);
  });

  it('hands every unfinished frame, whole, to another path', () => {
    const q = new SendQueue(opts);
    const a = frame(2000, 1);
    const b = frame(20, 2);
    q.push(a);
    q.push(b);
    const ch = new FakeChannel();
    q.pump(ch); // part of `a` is written
    expect(q.takeAll()).toEqual([a, b]);
    expect(q.isEmpty).toBe(true);
    expect(q.queuedBytes).toBe(0);
  });

  it('rewinds a half-written frame so a new channel gets it from the first chunk', () => {
    const q = new SendQueue(opts);
    const a = frame(2000, 1);
    q.push(a);
    q.pump(new FakeChannel()); // this channel dies with half the frame
    q.rewind();
    const ch = new FakeChannel();
    while (!q.isEmpty) {
      q.pump(ch);
      ch.drain();
    }
    expect(ch.received).toEqual([a]);
  });

  it('packs small frames that wait together into batch messages, in order', () => {
    const q = new SendQueue(opts);
    const ch = new FakeChannel();
    const frames = Array.from({ length: 50 }, (_, i) => frame(i === 20 ? 600 : 10 + (i % 7), i));
    for (const f of frames) q.push(f);
    while (!q.isEmpty) {
      q.pump(ch);
      ch.drain();
    }
    expect(ch.received).toEqual(frames);
    // 49 small frames of ~14 bytes fit ~18 to a 256-byte message; the 600-byte one is chunked.
    expect(ch.messages).toBeLessThan(12);
  });

  it('sends a lone small frame at once, unbatched', () => {
    const q = new SendQueue(opts);
    const ch = new FakeChannel();
    q.push(frame(5, 1));
    q.pump(ch);
    expect(ch.buffered).toEqual([new Uint8Array([0, 1, 1, 1, 1, 1])]);
  });
});
