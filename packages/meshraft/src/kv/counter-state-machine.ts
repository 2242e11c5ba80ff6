/**
 * @module counter-state-machine
 * The smallest useful StateMachine: one integer that commands add to or reset. An example of the
 * contract (determinism, total decoding, error results) more than a tool.
 */
import { MeshraftError } from '@meshraft/core';
import { pack, unpack } from './msgpack.js';
import type { StateMachine } from './state-machine.js';

export type CounterCommand =
  | { readonly type: 'add'; readonly delta: number }
  | { readonly type: 'reset' }
  | { readonly type: 'invalid'; readonly reason: string };

export type CounterResult =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly code: 'COUNTER_INVALID_COMMAND'; readonly message: string };

export type CounterQuery = { readonly type: 'get' };

export interface CounterState {
  readonly value: number;
  /** Commands applied successfully since the counter was created. */
  readonly applied: number;
}

export type CounterStateMachine = StateMachine<CounterCommand, CounterResult, CounterQuery, CounterState>;

/** Thrown by `restore` for bytes that are not a counter snapshot. */
export class CounterSnapshotError extends MeshraftError {
  constructor(cause?: unknown) {
    super('COUNTER_INVALID_SNAPSHOT', 'not a counter snapshot', { cause });
  }
}

function parse(x: unknown): CounterCommand {
  if (typeof x === 'object' && x !== null) {
    const f = x as Record<string, unknown>;
    if (f.type === 'reset') return { type: 'reset' };
    if (f.type === 'add' && typeof f.delta === 'number' && Number.isSafeInteger(f.delta)) {
      return { type: 'add', delta: f.delta };
    }
    if (f.type === 'invalid' && typeof f.reason === 'string') return { type: 'invalid', reason: f.reason };
  }
  return { type: 'invalid', reason: 'expected {type:"add", delta:<safe integer>} or {type:"reset"}' };
}

export function createCounterStateMachine(): CounterStateMachine {
  let value = 0;
  let applied = 0;
  return {
    apply(command) {
      const cmd = parse(command);
      if (cmd.type === 'invalid') return { ok: false, code: 'COUNTER_INVALID_COMMAND', message: cmd.reason };
      const next = cmd.type === 'reset' ? 0 : value + cmd.delta;
      if (!Number.isSafeInteger(next)) {
        return { ok: false, code: 'COUNTER_INVALID_COMMAND', message: 'counter would leave the safe integer range' };
      }
      value = next;
      applied++;
      return { ok: true, value };
    },
    query: () => ({ value, applied }),
    snapshot: () => pack([value, applied]),
    restore(data) {
      let decoded: unknown;
      try {
        decoded = unpack(data);
      } catch (err) {
        throw new CounterSnapshotError(err);
      }
      if (
        !Array.isArray(decoded) ||
        decoded.length !== 2 ||
        !Number.isSafeInteger(decoded[0]) ||
        !Number.isSafeInteger(decoded[1])
      ) {
        throw new CounterSnapshotError();
      }
      value = decoded[0] as number;
      applied = decoded[1] as number;
    },
    encodeCommand: (command) => pack(command),
    decodeCommand(data) {
      try {
        return parse(unpack(data));
      } catch {
        return { type: 'invalid', reason: 'undecodable command bytes' };
      }
    },
  };
}
