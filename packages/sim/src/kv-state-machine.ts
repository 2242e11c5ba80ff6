/**
 * @module kv-state-machine
 * The replicated state machine of the simulated service: a string map with get/put/CAS behind an
 * exactly-once session table. Everything it does is a function of the applied entries, so every
 * replica that applies the same log reaches the same state; snapshots carry the map and sessions.
 */
import { decodeCommand, decodeText, encodeText, type Command } from './commands.js';
import type { KvInput, KvOutput } from './linearizability/kv-model.js';
import { SimSessionTable, type SessionDecision, type SessionTableJSON } from './sessions.js';

/** What applying one entry produced, for the host to answer a waiting client. */
export type ApplyOutcome =
  | { readonly kind: 'noop' }
  | { readonly kind: 'registered'; readonly nonce: string; readonly client: number }
  | { readonly kind: 'mark'; readonly id: string }
  | {
      readonly kind: 'kv';
      readonly client: number;
      readonly seq: number;
      readonly decision: SessionDecision<KvOutput>['kind'];
      readonly output?: KvOutput;
    };

interface SnapshotJSON {
  readonly kv: readonly (readonly [string, string])[];
  readonly sessions: SessionTableJSON<KvOutput>;
}

export class SimKvStateMachine {
  private kv = new Map<string, string>();
  private sessions: SimSessionTable<KvOutput>;
  /** How many commands were actually executed, per client:seq (exactly-once evidence). */
  readonly executions = new Map<string, number>();
  duplicatesSuppressed = 0;

  /** `dedup: false` is a test double that ignores the session table and executes every copy. */
  constructor(
    sessionTtl: number,
    private readonly dedup = true,
  ) {
    this.sessions = new SimSessionTable({ ttl: sessionTtl });
  }

  /** Applies the entry at `index`; logical time for session expiry is the log index. */
  apply(index: number, data: Uint8Array): ApplyOutcome {
    const cmd: Command | null = decodeCommand(data);
    if (cmd === null) return { kind: 'noop' };
    switch (cmd.t) {
      case 'reg':
        return { kind: 'registered', nonce: cmd.nonce, client: this.sessions.register(index, index) };
      case 'mark':
        return { kind: 'mark', id: cmd.id };
      case 'kv': {
        if (!this.dedup && this.sessions.lookup(cmd.client) !== undefined) {
          return { kind: 'kv', client: cmd.client, seq: cmd.seq, decision: 'apply', output: this.execute(cmd.op) };
        }
        const d = this.sessions.apply(cmd.client, cmd.seq, index, () => {
          const k = `${cmd.client}:${cmd.seq}`;
          this.executions.set(k, (this.executions.get(k) ?? 0) + 1);
          return this.execute(cmd.op);
        });
        if (d.kind === 'duplicate') this.duplicatesSuppressed++;
        const output = d.kind === 'apply' ? d.result : d.kind === 'duplicate' ? d.result : undefined;
        return { kind: 'kv', client: cmd.client, seq: cmd.seq, decision: d.kind, ...(output && { output }) };
      }
    }
  }

  private execute(op: KvInput): KvOutput {
    const cur = this.kv.get(op.key) ?? null;
    switch (op.kind) {
      case 'get':
        return { value: cur };
      case 'put':
        this.kv.set(op.key, op.value);
        return {};
      case 'cas':
        if (cur !== op.expected) return { ok: false };
        this.kv.set(op.key, op.value);
        return { ok: true };
    }
  }

  /** A linearizable read served after ReadIndex: straight from the map. */
  read(key: string): KvOutput {
    return { value: this.kv.get(key) ?? null };
  }

  snapshot(): Uint8Array {
    const json: SnapshotJSON = {
      kv: [...this.kv].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      sessions: this.sessions.toJSON(),
    };
    return encodeText(JSON.stringify(json));
  }

  restore(data: Uint8Array): void {
    if (data.length === 0) {
      this.kv = new Map();
      this.sessions = new SimSessionTable({ ttl: this.sessions.ttl });
      return;
    }
    const json = JSON.parse(decodeText(data)) as SnapshotJSON;
    this.kv = new Map(json.kv);
    this.sessions = SimSessionTable.fromJSON(json.sessions);
  }
}
