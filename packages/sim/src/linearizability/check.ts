/**
 * @module linearizability/check
 * Wing & Gong's linearizability search with Lowe's memoization, as in Porcupine: walk the
 * time-ordered list of call/return events, tentatively linearize a call whose operation the
 * model accepts, backtrack at a return whose call is still pending, and skip any configuration
 * (set of linearized operations + model state) already explored. Histories are split with the
 * model's `partition` first, since each part can be checked alone (P-compositionality).
 */
import { BadHistoryError } from '../errors.js';
import { Bitset } from './bitset.js';
import type { Model, Operation } from './model.js';

export type CheckVerdict = 'ok' | 'illegal' | 'unknown';

/** Why a history is not linearizable: the longest linearization found and where it got stuck. */
export interface Explanation {
  /** Index of the partition (sub-history) that failed. */
  readonly partition: number;
  /** The model's name for it (e.g. "key x"), or "partition N". */
  readonly partitionName: string;
  /** The longest sequence of operations the search could linearize, in linearization order. */
  readonly linearized: readonly string[];
  /** Model state after that sequence. */
  readonly state: string;
  /** Operations that could come next at that point; the model rejected every one. */
  readonly stuck: readonly string[];
}

export interface CheckResult {
  readonly verdict: CheckVerdict;
  readonly operations: number;
  readonly partitions: number;
  /** Search steps used (bounded by `maxSteps`). */
  readonly steps: number;
  readonly explanation?: Explanation;
}

export interface CheckOptions {
  /** Give up with `unknown` after this many search steps over all partitions (default 5e6). */
  readonly maxSteps?: number;
}

interface Node {
  readonly op: number;
  readonly isCall: boolean;
  readonly time: number;
  /** For a call: its return event. */
  match: Node | null;
  prev: Node | null;
  next: Node | null;
}

function validate<I, O>(ops: readonly Operation<I, O>[]): void {
  ops.forEach((op, i) => {
    if (!Number.isFinite(op.callTime)) {
      throw new BadHistoryError(`operation ${i} has a non-finite call time ${op.callTime}`);
    }
    if (op.returnTime !== undefined) {
      if (Number.isNaN(op.returnTime) || op.returnTime < op.callTime) {
        throw new BadHistoryError(
          `operation ${i} returns at ${op.returnTime}, before its call at ${op.callTime}`,
        );
      }
    }
  });
}

/** Builds the doubly linked event list with a sentinel head; returns the head. */
function buildEvents<I, O>(ops: readonly Operation<I, O>[]): Node {
  const events: Node[] = [];
  ops.forEach((op, i) => {
    const call: Node = { op: i, isCall: true, time: op.callTime, match: null, prev: null, next: null };
    const ret: Node = {
      op: i,
      isCall: false,
      time: op.returnTime ?? Number.POSITIVE_INFINITY,
      match: null,
      prev: null,
      next: null,
    };
    call.match = ret;
    events.push(call, ret);
  });
  // Ties: calls first, so operations touching at one instant count as concurrent.
  events.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const head: Node = { op: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

function lift(call: Node): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift(call: Node): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

type PartResult<S> =
  | { verdict: 'ok' | 'unknown'; steps: number }
  | { verdict: 'illegal'; steps: number; best: number[]; bestState: S; stuck: number[] };

function checkPart<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  budget: number,
): PartResult<S> {
  const head = buildEvents(ops);
  const linearized = new Bitset(ops.length);
  const cache = new Map<string, S[]>();
  const equal = model.equal?.bind(model);
  const stack: { call: Node; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  let best: number[] = [];
  let bestState = state;

  while (head.next !== null) {
    if (++steps > budget) return { verdict: 'unknown', steps };
    if (entry === null) throw new Error('unreachable: event list ended before a return');
    if (entry.isCall) {
      const op = ops[entry.op]!;
      const res = model.step(state, op.input, op.returnTime === undefined ? undefined : op.output);
      let advanced = false;
      if (res.ok) {
        linearized.set(entry.op);
        const key = `${linearized.key()}|${model.hash(res.state)}`;
        const seen = cache.get(key);
        const dup = seen !== undefined && (equal === undefined || seen.some((s) => equal(s, res.state)));
        if (!dup) {
          if (seen) seen.push(res.state);
          else cache.set(key, [res.state]);
          stack.push({ call: entry, state });
          state = res.state;
          lift(entry);
          advanced = true;
          if (stack.length > best.length) {
            best = stack.map((f) => f.call.op);
            bestState = state;
          }
          entry = head.next;
        } else {
          linearized.clear(entry.op);
        }
      }
      if (!advanced) entry = entry.next;
    } else {
      // A return whose call is not linearized yet: this branch is dead, backtrack.
      const top = stack.pop();
      if (top === undefined) {
        return { verdict: 'illegal', steps, best, bestState, stuck: stuckAfter(ops, best) };
      }
      state = top.state;
      linearized.clear(top.call.op);
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return { verdict: 'ok', steps };
}

/** Operations that could be linearized right after `done`: called before any pending one returned. */
function stuckAfter<I, O>(ops: readonly Operation<I, O>[], done: readonly number[]): number[] {
  const doneSet = new Set(done);
  const pending = ops.map((_, i) => i).filter((i) => !doneSet.has(i));
  const firstReturn = Math.min(...pending.map((i) => ops[i]!.returnTime ?? Infinity));
  return pending.filter((i) => ops[i]!.callTime <= firstReturn).sort((a, b) => ops[a]!.callTime - ops[b]!.callTime);
}

/**
 * Checks whether `history` is linearizable with respect to `model`.
 * Throws BadHistoryError for malformed histories.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult {
  validate(history);
  // An unanswered read has no effect and no observed result: it cannot constrain anything.
  const readOnly = model.readOnly?.bind(model);
  const relevant = readOnly ? history.filter((op) => op.returnTime !== undefined || !readOnly(op.input)) : history;
  const parts = model.partition ? model.partition(relevant) : [relevant.slice()];
  let remaining = options.maxSteps ?? 5_000_000;
  let steps = 0;
  let unknown = false;
  const describe = (op: Operation<I, O>): string => {
    const text = model.describe ? model.describe(op.input, op.output) : JSON.stringify(op.input);
    const end = op.returnTime === undefined ? '∞' : String(op.returnTime);
    return `client ${op.clientId}: ${text} [${op.callTime}, ${end}]`;
  };
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    // Once the budget is spent, still try the rest with a small allowance: an illegal part wins.
    const res = checkPart(model, part, Math.max(remaining, 1000));
    steps += res.steps;
    remaining -= res.steps;
    if (res.verdict === 'unknown') unknown = true;
    if (res.verdict === 'illegal') {
      const stateText = model.describeState ? model.describeState(res.bestState) : model.hash(res.bestState);
      return {
        verdict: 'illegal',
        operations: history.length,
        partitions: parts.length,
        steps,
        explanation: {
          partition: p,
          partitionName: model.describePartition ? model.describePartition(part) : `partition ${p}`,
          linearized: res.best.map((i) => describe(part[i]!)),
          state: stateText,
          stuck: res.stuck.map((i) => describe(part[i]!)),
        },
      };
    }
  }
  return { verdict: unknown ? 'unknown' : 'ok', operations: history.length, partitions: parts.length, steps };
}

/** A few readable lines for a failed check. */
export function formatExplanation(e: Explanation, maxPrefix = 8): string {
  const shown = e.linearized.slice(-maxPrefix);
  const lines = [`not linearizable (${e.partitionName}); longest linearizable prefix:`];
  if (shown.length < e.linearized.length) lines.push(`  ... ${e.linearized.length - shown.length} earlier`);
  for (const l of shown) lines.push(`  ${l}`);
  lines.push(`  => state ${e.state}; none of these can come next:`);
  for (const s of e.stuck) lines.push(`  ${s}`);
  return lines.join('\n');
}
