/** Test helpers: apply commands through their encoded bytes, as the node runtime does. */
import { applyEntryData } from '../state-machine.js';
import { createKvStateMachine, type KvStateMachine } from '../kv-state-machine.js';
import { bytesToString } from '../bytes.js';
import type { KeyValue, KvCommand, KvResultOf } from '../kv-types.js';

export interface Harness {
  readonly sm: KvStateMachine;
  apply<C extends KvCommand>(cmd: C): KvResultOf<C>;
}

export function harness(sm: KvStateMachine = createKvStateMachine()): Harness {
  let index = 0;
  return {
    sm,
    apply: <C extends KvCommand>(cmd: C) =>
      applyEntryData(sm, sm.encodeCommand(cmd), { index: ++index, term: 1 }) as KvResultOf<C>,
  };
}

/** A KeyValue with strings, for readable assertions. */
export function show(kv: KeyValue | undefined) {
  if (kv === undefined) return undefined;
  return {
    key: bytesToString(kv.key),
    value: bytesToString(kv.value),
    create: kv.createRevision,
    mod: kv.modRevision,
    version: kv.version,
  };
}
