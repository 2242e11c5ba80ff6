/**
 * @module linearizability/kv-model
 * A key-value register map with get, put and compare-and-set. Keys are independent, so the
 * model partitions by key and its state is the value of a single key (null when absent).
 */
import type { Model, Operation } from './model.js';

export type KvInput =
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string };

/** `value` answers a get; `ok` answers a cas; a put answers `{}`. */
export interface KvOutput {
  readonly value?: string | null;
  readonly ok?: boolean;
}

export type KvOperation = Operation<KvInput, KvOutput>;

export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case 'get':
        return { ok: output === undefined || (output.value ?? null) === state, state };
      case 'put':
        return { ok: true, state: input.value };
      case 'cas': {
        const applies = state === input.expected;
        // Unknown outcome: the operation's effect is still fixed by the state it sees.
        const ok = output === undefined || output.ok === applies;
        return { ok, state: applies ? input.value : state };
      }
    }
  },
  readOnly: (input) => input.kind === 'get',
  hash: (state) => (state === null ? '∅' : `=${state}`),
  partition(ops) {
    const byKey = new Map<string, KvOperation[]>();
    for (const op of ops) {
      const list = byKey.get(op.input.key);
      if (list) list.push(op);
      else byKey.set(op.input.key, [op]);
    }
    return [...byKey.values()];
  },
  describePartition: (ops) => `key ${ops[0]?.input.key ?? '?'}`,
  describe(input, output) {
    const out = output === undefined ? '?' : undefined;
    switch (input.kind) {
      case 'get':
        return `get(${input.key}) -> ${out ?? JSON.stringify(output?.value ?? null)}`;
      case 'put':
        return `put(${input.key}, ${JSON.stringify(input.value)})${out ? ' -> ?' : ''}`;
      case 'cas':
        return `cas(${input.key}, ${JSON.stringify(input.expected)} -> ${JSON.stringify(input.value)}) -> ${out ?? String(output?.ok)}`;
    }
  },
  describeState: (state) => (state === null ? 'absent' : JSON.stringify(state)),
};
