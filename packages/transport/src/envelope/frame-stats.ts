/**
 * @module frame-stats
 * Counts accepted and rejected inbound frames by error code, and logs each rejection with its
 * reason. Receivers use it so bad input is visible but never fatal.
 */
import { MeshraftError } from '@meshraft/core';

export interface FrameStatsSnapshot {
  readonly accepted: number;
  readonly rejected: number;
  /** Rejections per error code (MALFORMED_FRAME, FOREIGN_CLUSTER, ...). */
  readonly byCode: Readonly<Record<string, number>>;
}

export class FrameStats {
  #accepted = 0;
  #rejected = 0;
  readonly #byCode = new Map<string, number>();

  /** @param log called once per rejection with a one-line reason. */
  constructor(private readonly log?: (line: string) => void) {}

  accept(): void {
    this.#accepted++;
  }

  /** Count a rejected frame; `from` is the link-level sender when known. */
  reject(err: unknown, from?: string): void {
    this.#rejected++;
    const code = err instanceof MeshraftError ? err.code : 'UNKNOWN';
    this.#byCode.set(code, (this.#byCode.get(code) ?? 0) + 1);
    const message = err instanceof Error ? err.message : String(err);
    this.log?.(`rejected frame${from !== undefined ? ` from ${from}` : ''}: ${code}: ${message}`);
  }

  /** Run `decode`; count and log a thrown error and return null instead of throwing. */
  guard<T>(decode: () => T, from?: string): T | null {
    try {
      const value = decode();
      this.accept();
      return value;
    } catch (err) {
      this.reject(err, from);
      return null;
    }
  }

  snapshot(): FrameStatsSnapshot {
    return { accepted: this.#accepted, rejected: this.#rejected, byCode: Object.fromEntries(this.#byCode) };
  }
}
