/**
 * @module txn-checks
 * Checks that depend only on the command, done before anything is written (etcd's
 * checkPutRequest/checkRangeRequest/checkTxnRequest/checkIntervals).
 */
import { bytesToBinary } from './bytes.js';
import { inRange, toBinaryRange, type BinaryRange } from './key-index.js';
import { KvError, KvErrorCode } from './kv-errors.js';
import type { KvCommand, TxnCommand, TxnOp } from './kv-types.js';

/** Static checks of one request (recursing into txns). */
export function checkRequest(op: TxnOp, maxTxnOps: number): void {
  switch (op.type) {
    case 'put':
      if (op.key.length === 0) throw new KvError(KvErrorCode.EmptyKey, 'key is not provided');
      if (op.ignoreValue && op.value.length > 0) {
        throw new KvError(KvErrorCode.ValueProvided, 'value is provided');
      }
      if (op.ignoreLease && op.lease) throw new KvError(KvErrorCode.LeaseProvided, 'lease is provided');
      return;
    case 'range':
    case 'deleteRange':
      if (op.key.length === 0) throw new KvError(KvErrorCode.EmptyKey, 'key is not provided');
      return;
    case 'txn':
      checkTxn(op, maxTxnOps);
      return;
  }
}

function checkTxn(txn: TxnCommand, maxTxnOps: number): void {
  if (txn.compare.length > maxTxnOps || txn.success.length > maxTxnOps || txn.failure.length > maxTxnOps) {
    throw new KvError(KvErrorCode.TooManyOps, 'too many operations in txn request');
  }
  for (const op of txn.success) checkRequest(op, maxTxnOps);
  for (const op of txn.failure) checkRequest(op, maxTxnOps);
  writeSet(txn.success);
  writeSet(txn.failure);
}

interface WriteSet {
  readonly puts: Set<string>;
  readonly deletes: BinaryRange[];
}

function duplicate(): KvError {
  return new KvError(KvErrorCode.DuplicateKey, 'duplicate key given in txn request');
}

/** The keys one branch writes; a key may be put once and never both put and deleted. */
function writeSet(ops: readonly TxnOp[]): WriteSet {
  const puts = new Set<string>();
  const deletes: BinaryRange[] = [];
  for (const op of ops) {
    if (op.type === 'put') {
      const k = bytesToBinary(op.key);
      if (puts.has(k)) throw duplicate();
      puts.add(k);
    } else if (op.type === 'deleteRange') {
      deletes.push(toBinaryRange(op));
    } else if (op.type === 'txn') {
      // Only one branch of a nested txn runs, so its branches may overlap each other but not us.
      const s = writeSet(op.success);
      const f = writeSet(op.failure);
      for (const k of new Set([...s.puts, ...f.puts])) {
        if (puts.has(k)) throw duplicate();
        puts.add(k);
      }
      deletes.push(...s.deletes, ...f.deletes);
    }
  }
  for (const k of puts) if (deletes.some((d) => inRange(k, d))) throw duplicate();
  return { puts, deletes };
}

export function checkCommand(cmd: KvCommand, maxTxnOps: number): void {
  if (cmd.type === 'put' || cmd.type === 'deleteRange' || cmd.type === 'txn') checkRequest(cmd, maxTxnOps);
}
