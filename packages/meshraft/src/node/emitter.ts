/**
 * @module emitter
 * A minimal typed event emitter (no Node `events` import, so it runs in browsers and Deno).
 * A throwing listener is isolated: it must not break the Raft loop that emitted the event.
 */

type Listener = (...args: never[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Listener }> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => {}) {}

  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Whether anyone listens to `event` (lets emitters skip building costly payloads). */
  has(event: keyof Events): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  clear(): void {
    this.listeners.clear();
  }
}
