import { describe, expect, it } from 'vitest';
import { AuthErrorCode } from './auth-errors.js';
import type { AuthCommand, AuthIdentity, PasswordHash } from './auth-types.js';
import { toBytes, prefixRangeEnd } from './bytes.js';
import { put, range, txn, deleteRange } from './kv-commands.js';
import { createKvStateMachine, type KvStateMachine } from './kv-state-machine.js';
import type { AuthOp, KvCommand, KvResult } from './index.js';

const ctx = { index: 1, term: 1 };
const PW: PasswordHash = { scheme: 'test', salt: toBytes('salt'), hash: toBytes('hash') };

function setup(): { sm: KvStateMachine; auth: (op: AuthOp, as?: AuthIdentity) => KvResult; apply: (c: KvCommand) => KvResult } {
  const sm = createKvStateMachine();
  // Through encode/decode, as a replica sees it.
  const apply = (c: KvCommand) => sm.apply(sm.decodeCommand(sm.encodeCommand(c)), ctx);
  return { sm, apply, auth: (op, as) => apply({ type: 'auth', ...op, ...(as && { as }) } as AuthCommand) };
}

const code = (r: KvResult) => (r.ok ? 'ok' : r.code);

/** root with the root role and auth enabled, plus alice with role `r` over /a/ (readwrite) and /ro (read). */
function enabled() {
  const s = setup();
  s.auth({ op: 'userAdd', name: 'root', password: PW });
  s.auth({ op: 'userGrantRole', name: 'root', role: 'root' });
  s.auth({ op: 'userAdd', name: 'alice', password: PW });
  s.auth({ op: 'roleAdd', name: 'r' });
  s.auth({ op: 'roleGrantPermission', name: 'r', perm: { permType: 'readwrite', key: toBytes('/a/'), rangeEnd: prefixRangeEnd('/a/') } });
  s.auth({ op: 'roleGrantPermission', name: 'r', perm: { permType: 'read', key: toBytes('/ro') } });
  s.auth({ op: 'userGrantRole', name: 'alice', role: 'r' });
  expect(code(s.auth({ op: 'enable' }))).toBe('ok');
  const rev = s.sm.auth.revision;
  return { ...s, root: { user: 'root', revision: rev }, alice: { user: 'alice', revision: rev } };
}

describe('auth store (etcd auth/store.go)', () => {
  it('refuses AuthEnable without root, or with root lacking the root role', () => {
    const s = setup();
    expect(code(s.auth({ op: 'enable' }))).toBe(AuthErrorCode.RootUserNotExist);
    s.auth({ op: 'userAdd', name: 'root', password: PW });
    expect(code(s.auth({ op: 'enable' }))).toBe(AuthErrorCode.RootRoleNotExist);
    s.auth({ op: 'userGrantRole', name: 'root', role: 'root' });
    expect(code(s.auth({ op: 'enable' }))).toBe('ok');
    expect(s.sm.auth.enabled).toBe(true);
  });

  it('answers etcd errors for users and roles, and never stores a password in clear', () => {
    const s = setup();
    expect(code(s.auth({ op: 'userAdd', name: '' }))).toBe(AuthErrorCode.UserEmpty);
    s.auth({ op: 'userAdd', name: 'u', password: PW });
    expect(code(s.auth({ op: 'userAdd', name: 'u' }))).toBe(AuthErrorCode.UserAlreadyExists);
    expect(code(s.auth({ op: 'userGet', name: 'nobody' }))).toBe(AuthErrorCode.UserNotFound);
    expect(code(s.auth({ op: 'userGrantRole', name: 'u', role: 'nope' }))).toBe(AuthErrorCode.RoleNotFound);
    expect(code(s.auth({ op: 'userRevokeRole', name: 'u', role: 'nope' }))).toBe(AuthErrorCode.RoleNotGranted);
    expect(code(s.auth({ op: 'roleAdd', name: '' }))).toBe(AuthErrorCode.RoleEmpty);
    s.auth({ op: 'roleAdd', name: 'r' });
    expect(code(s.auth({ op: 'roleAdd', name: 'r' }))).toBe(AuthErrorCode.RoleAlreadyExists);
    expect(code(s.auth({ op: 'roleRevokePermission', name: 'r', key: toBytes('k') }))).toBe(AuthErrorCode.PermissionNotGranted);
    expect(code(s.auth({ op: 'roleGrantPermission', name: 'r', perm: { permType: 'read', key: toBytes('') } }))).toBe(AuthErrorCode.InvalidAuthMgmt);
    expect(s.sm.auth.user('u')?.password).toEqual(PW);
  });

  it('lists sorted names, keeps roles sorted, and drops a deleted role from its users', () => {
    const s = setup();
    for (const n of ['b', 'a']) s.auth({ op: 'userAdd', name: n });
    for (const n of ['y', 'x']) s.auth({ op: 'roleAdd', name: n });
    s.auth({ op: 'userGrantRole', name: 'a', role: 'y' });
    s.auth({ op: 'userGrantRole', name: 'a', role: 'x' });
    const users = s.auth({ op: 'userList' });
    expect(users.ok && users.type === 'auth' && users.users).toEqual(['a', 'b']);
    const got = s.auth({ op: 'userGet', name: 'a' });
    expect(got.ok && got.type === 'auth' && got.roles).toEqual(['x', 'y']);
    s.auth({ op: 'roleDelete', name: 'x' });
    expect(s.sm.auth.user('a')?.roles).toEqual(['y']);
  });

  it('bumps the auth revision on every change but AuthEnable and no-ops', () => {
    const s = setup();
    expect(s.sm.auth.revision).toBe(1);
    s.auth({ op: 'userAdd', name: 'root' });
    s.auth({ op: 'userGrantRole', name: 'root', role: 'root' });
    expect(s.sm.auth.revision).toBe(3);
    s.auth({ op: 'userGrantRole', name: 'root', role: 'root' }); // already granted: no change
    s.auth({ op: 'enable' });
    expect(s.sm.auth.revision).toBe(3);
    s.auth({ op: 'disable' }, { user: 'root', revision: 3 });
    expect(s.sm.auth.revision).toBe(4);
  });

  it('needs the root role for management once enabled; users may read themselves and their roles', () => {
    const s = enabled();
    expect(code(s.auth({ op: 'userList' }))).toBe(AuthErrorCode.UserEmpty);
    expect(code(s.auth({ op: 'userList' }, s.alice))).toBe(AuthErrorCode.PermissionDenied);
    expect(code(s.auth({ op: 'userList' }, { user: 'ghost', revision: 9 }))).toBe(AuthErrorCode.UserNotFound);
    expect(code(s.auth({ op: 'userList' }, s.root))).toBe('ok');
    expect(code(s.auth({ op: 'userGet', name: 'alice' }, s.alice))).toBe('ok');
    expect(code(s.auth({ op: 'userGet', name: 'root' }, s.alice))).toBe(AuthErrorCode.PermissionDenied);
    expect(code(s.auth({ op: 'roleGet', name: 'r' }, s.alice))).toBe('ok');
    expect(code(s.auth({ op: 'roleGet', name: 'root' }, s.alice))).toBe(AuthErrorCode.PermissionDenied);
    expect(code(s.auth({ op: 'userDelete', name: 'root' }, s.root))).toBe(AuthErrorCode.InvalidAuthMgmt);
    expect(code(s.auth({ op: 'userRevokeRole', name: 'root', role: 'root' }, s.root))).toBe(AuthErrorCode.InvalidAuthMgmt);
    expect(code(s.auth({ op: 'roleDelete', name: 'root' }, s.root))).toBe(AuthErrorCode.InvalidAuthMgmt);
  });

  it('checks writes at apply: key, range, prevKv and every txn branch', () => {
    const s = enabled();
    const as = (c: KvCommand, who: AuthIdentity | undefined) => (who ? ({ ...c, as: who } as KvCommand) : c);
    expect(code(s.apply(as(put('/a/x', '1'), s.alice)))).toBe('ok');
    expect(code(s.apply(as(put('/b', '1'), s.alice)))).toBe(AuthErrorCode.PermissionDenied);
    expect(code(s.apply(put('/a/x', '1')))).toBe(AuthErrorCode.UserEmpty);
    expect(code(s.apply(as(put('/ro', '1'), s.alice)))).toBe(AuthErrorCode.PermissionDenied);
    expect(code(s.apply(as(put('/b', '1'), s.root)))).toBe('ok');
    expect(code(s.apply(as(deleteRange('/a/', { prefix: true }), s.alice)))).toBe('ok');
    expect(code(s.apply(as(deleteRange('/', { prefix: true }), s.alice)))).toBe(AuthErrorCode.PermissionDenied);
    // A denied op in the branch that does not run still denies the txn, as in etcd.
    const t = txn([], [put('/a/y', '1')], [put('/b', '2')]);
    expect(code(s.apply(as(t, s.alice)))).toBe(AuthErrorCode.PermissionDenied);
    const cmp = txn([{ key: toBytes('/b'), target: 'version', result: 'equal', version: 0 }], [put('/a/y', '1')]);
    expect(code(s.apply(as(cmp, s.alice)))).toBe(AuthErrorCode.PermissionDenied);
    expect(code(s.apply(as(txn([], [range('/ro'), put('/a/z', '1')]), s.alice)))).toBe('ok');
  });

  it('answers a request checked at an older auth revision with AUTH_OLD_REVISION', () => {
    const s = enabled();
    s.auth({ op: 'roleAdd', name: 'later' }, s.root);
    expect(code(s.apply({ ...put('/a/x', '1'), as: s.alice }))).toBe(AuthErrorCode.AuthOldRevision);
    expect(s.sm.auth.rangeError({ user: 'alice', revision: s.sm.auth.revision }, toBytes('/a/q'), undefined, 'read')).toBeUndefined();
  });

  it('covers a range only by the union of permitted intervals', () => {
    const s = enabled();
    s.auth({ op: 'roleGrantPermission', name: 'r', perm: { permType: 'read', key: toBytes('/a0'), rangeEnd: toBytes('/a5') } }, s.root);
    const who = { user: 'alice', revision: s.sm.auth.revision };
    // /a/ prefix is [/a/, /a0); with [/a0, /a5) the union covers [/a/, /a5).
    expect(s.sm.auth.rangeError(who, toBytes('/a/'), toBytes('/a5'), 'read')).toBeUndefined();
    expect(s.sm.auth.rangeError(who, toBytes('/a/'), toBytes('/a6'), 'read')).toBe(AuthErrorCode.PermissionDenied);
    expect(s.sm.auth.rangeError(who, toBytes('/a/'), toBytes('/a5'), 'write')).toBe(AuthErrorCode.PermissionDenied);
    expect(s.sm.auth.rangeError(who, toBytes('/a/'), new Uint8Array([0]), 'read')).toBe(AuthErrorCode.PermissionDenied);
  });

  it('keeps users, roles, the flag and the revision in snapshots, byte-identical across replicas', () => {
    const s = enabled();
    const snap = s.sm.snapshot();
    const other = createKvStateMachine();
    other.restore(snap);
    expect(other.auth.enabled).toBe(true);
    expect(other.auth.revision).toBe(s.sm.auth.revision);
    expect(other.auth.role('r')?.perms.length).toBe(2);
    expect(other.auth.user('alice')?.password).toEqual(PW);
    expect(other.snapshot()).toEqual(snap);
    // A store that never used auth restores to the pristine state.
    const plain = createKvStateMachine();
    s.sm.restore(plain.snapshot());
    expect(s.sm.auth.enabled).toBe(false);
    expect(s.sm.auth.user('root')).toBeUndefined();
  });

  it('checks lease revokes and puts with a lease at apply (etcd checkLeasePuts); the leader\'s expiry is not checked', () => {
    const s = enabled();
    const stamp = <C extends KvCommand>(c: C, who: AuthIdentity): KvCommand => ({ ...c, as: who }) as KvCommand;
    for (const id of [7, 8]) expect(code(s.apply({ type: 'leaseGrant', id, ttl: 60 }))).toBe('ok');
    expect(code(s.apply(stamp(put('/a/x', '1', { lease: 7 }), s.alice)))).toBe('ok');
    expect(code(s.apply(stamp(put('/secret', 's', { lease: 7 }), s.root)))).toBe('ok');
    // alice may write /a/ but not /secret: she may not revoke lease 7 nor attach more keys to it.
    expect(code(s.apply(stamp({ type: 'leaseRevoke', id: 7 }, s.alice)))).toBe(AuthErrorCode.PermissionDenied);
    expect(code(s.apply(stamp(put('/a/y', '1', { lease: 7 }), s.alice)))).toBe(AuthErrorCode.PermissionDenied);
    expect(code(s.apply(stamp({ type: 'leaseRevoke', id: 8 }, s.alice)))).toBe('ok');
    // The lease keeper's revoke (no `as`, etcd's root context) deletes both keys.
    const r = s.apply({ type: 'leaseRevoke', id: 7 });
    expect(r).toMatchObject({ ok: true, revoked: true, deleted: 2 });
    // Snapshots (format 3) carry leases and the auth state together.
    expect(code(s.apply({ type: 'leaseGrant', id: 9, ttl: 60 }))).toBe('ok');
    const other = createKvStateMachine();
    other.restore(s.sm.snapshot());
    expect([other.auth.enabled, other.leases.list().map((l) => l.id)]).toEqual([true, [9]]);
    expect(other.snapshot()).toEqual(s.sm.snapshot());
  });

  it('answers malformed auth commands as invalid on every replica', () => {
    const sm = createKvStateMachine();
    const r = sm.apply(sm.decodeCommand(sm.encodeCommand({ type: 'auth', op: 'userAdd' } as unknown as KvCommand)), ctx);
    expect(code(r)).toBe('KV_INVALID_COMMAND');
  });
});
