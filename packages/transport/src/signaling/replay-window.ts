/**
 * @module replay-window
 * Anti-replay for sealed messages, after IPsec/DTLS: every sealed message carries its sender's
 * epoch (the sender's start time, strictly increasing across restarts) and a sequence number.
 * Per sender, the receiver remembers the newest epoch and a sliding window of the last `size`
 * sequence numbers it accepted. A message is accepted once: a repeat, one older than the window,
 * or one from an older epoch is a replay. Only authenticated (already opened) messages may be
 * checked, so a forged header cannot move the window.
 */

export type ReplayVerdict = 'fresh' | 'replay';

interface SenderWindow {
  epoch: number;
  /** Highest sequence number accepted in `epoch`, -1 before the first. */
  highest: number;
  /** Bit `seq % size` set = `seq` seen (for seq within `size` of `highest`). */
  readonly seen: Uint32Array;
}

export interface ReplayWindowOptions {
  /** Sequence numbers remembered per sender (rounded up to a multiple of 32). Default 1024. */
  readonly size?: number;
  /** Senders remembered; the least recently heard is forgotten beyond this. Default 4096. */
  readonly maxSenders?: number;
}

export class ReplayWindow {
  readonly #size: number;
  readonly #maxSenders: number;
  readonly #senders = new Map<string, SenderWindow>();

  constructor(options: ReplayWindowOptions = {}) {
    this.#size = Math.max(32, Math.ceil((options.size ?? 1024) / 32) * 32);
    this.#maxSenders = Math.max(1, options.maxSenders ?? 4096);
  }

  /** Checks (epoch, seq) from `from` and, when fresh, records it. */
  accept(from: string, epoch: number, seq: number): ReplayVerdict {
    let w = this.#senders.get(from);
    if (w !== undefined) this.#senders.delete(from); // re-inserted below: most recently heard last
    if (w === undefined || epoch > w.epoch) {
      w = { epoch, highest: -1, seen: new Uint32Array(this.#size / 32) };
    } else if (epoch < w.epoch) {
      this.#remember(from, w);
      return 'replay';
    }
    const verdict = this.#mark(w, seq);
    this.#remember(from, w);
    return verdict;
  }

  #mark(w: SenderWindow, seq: number): ReplayVerdict {
    if (seq > w.highest) {
      // Slide: forget the slots of the numbers the window moves past.
      const steps = Math.min(seq - w.highest, this.#size);
      for (let i = 1; i <= steps; i++) this.#clear(w, w.highest + i);
      w.highest = seq;
      this.#set(w, seq);
      return 'fresh';
    }
    if (w.highest - seq >= this.#size) return 'replay'; // too old to tell: treated as a replay
    if (this.#has(w, seq)) return 'replay';
    this.#set(w, seq);
    return 'fresh';
  }

  #remember(from: string, w: SenderWindow): void {
    this.#senders.set(from, w);
    if (this.#senders.size > this.#maxSenders) {
      const oldest = this.#senders.keys().next().value as string;
      this.#senders.delete(oldest);
    }
  }

  #slot(seq: number): [number, number] {
    const bit = seq % this.#size;
    return [bit >>> 5, 1 << (bit & 31)];
  }

  #set(w: SenderWindow, seq: number): void {
    const [i, m] = this.#slot(seq);
    w.seen[i]! |= m;
  }

  #clear(w: SenderWindow, seq: number): void {
    const [i, m] = this.#slot(seq);
    w.seen[i]! &= ~m;
  }

  #has(w: SenderWindow, seq: number): boolean {
    const [i, m] = this.#slot(seq);
    return (w.seen[i]! & m) !== 0;
  }
}
