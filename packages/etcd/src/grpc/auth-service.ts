/**
 * @module grpc/auth-service
 * etcd's Auth service. Every RPC but Authenticate is an `auth` command through the log, carrying
 * the caller's identity, so the root-role check happens at apply on every member as in etcd.
 * Authenticate checks the password here (after a linearizable read, as etcd's
 * linearizableReadNotify) and issues a simple token that only this member knows.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { AuthErrorCode, type AuthOp, type AuthResult, type Permission, type PermissionType } from 'meshraft/kv';
import type { KvClient } from '../kv-client.js';
import { currentIdentity, denied, type AuthGuard } from '../auth/auth-guard.js';
import { hashPassword, verifyPassword } from '../auth/auth-passwords.js';
import { unary } from './kv-services.js';
import { header, type Msg } from './messages.js';

const EMPTY = new Uint8Array(0);
const bytesOf = (m: Msg, name: string): Uint8Array => (m[name] instanceof Uint8Array ? (m[name] as Uint8Array) : EMPTY);
const str = (m: Msg, name: string): string => (typeof m[name] === 'string' ? (m[name] as string) : '');
const withEnd = (end: Uint8Array) => (end.length > 0 ? { rangeEnd: end } : {});

const PERM_TYPES: Record<string, PermissionType> = { READ: 'read', WRITE: 'write', READWRITE: 'readwrite' };
const PERM_NAMES: Record<PermissionType, string> = { read: 'READ', write: 'WRITE', readwrite: 'READWRITE' };

function permMsg(p: Permission): Msg {
  return { permType: PERM_NAMES[p.permType], key: p.key, range_end: p.rangeEnd ?? EMPTY };
}

export function createAuthService(kv: KvClient, guard: AuthGuard): UntypedServiceImplementation {
  const h = (revision: number) => header(kv.identity(), revision);

  /** Proposes `op` as the caller (the guard's scope holds who that is) and answers with `reply(result)`. */
  function command(toOp: (req: Msg) => Promise<AuthOp> | AuthOp, reply: (r: AuthResult) => Msg = () => ({})) {
    return unary(async (req) => {
      const as = currentIdentity();
      const op = await toOp(req);
      const r = await kv.propose({ type: 'auth', ...op, ...(as && { as }) });
      return r.ok ? { header: h(r.revision), ...reply(r) } : r;
    });
  }

  async function authenticate(req: Msg): Promise<Msg> {
    const probe = await kv.read({ type: 'range', key: new Uint8Array([0]), countOnly: true }, { linearizable: true });
    const auth = guard.auth;
    if (!auth.enabled) throw denied(AuthErrorCode.AuthNotEnabled);
    const name = str(req, 'name');
    const user = auth.user(name);
    // A user without a password cannot log in with one (etcd: NoPassword users fail here).
    if (!user?.password || !(await verifyPassword(str(req, 'password'), user.password))) throw denied(AuthErrorCode.AuthFailed);
    return { header: h(probe.revision), token: guard.tokens.issue(name) };
  }

  return {
    AuthEnable: command(() => ({ op: 'enable' })),
    AuthDisable: command(() => ({ op: 'disable' })),
    AuthStatus: command(
      () => ({ op: 'status' }),
      (r) => ({ enabled: r.enabled, authRevision: String(r.authRevision) }),
    ),
    Authenticate: unary(authenticate),
    UserAdd: command(async (req) => {
      const noPassword = (req.options as Msg | undefined)?.no_password === true;
      const name = str(req, 'name');
      // Not hashed for a name etcd refuses anyway: the error comes from apply.
      return noPassword || name === '' ? { op: 'userAdd', name } : { op: 'userAdd', name, password: await hashPassword(str(req, 'password')) };
    }),
    UserGet: command(
      (req) => ({ op: 'userGet', name: str(req, 'name') }),
      (r) => ({ roles: [...(r.roles ?? [])] }),
    ),
    UserList: command(
      () => ({ op: 'userList' }),
      (r) => ({ users: [...(r.users ?? [])] }),
    ),
    UserDelete: command((req) => ({ op: 'userDelete', name: str(req, 'name') })),
    UserChangePassword: command(async (req) => ({ op: 'userChangePassword', name: str(req, 'name'), password: await hashPassword(str(req, 'password')) })),
    UserGrantRole: command((req) => ({ op: 'userGrantRole', name: str(req, 'user'), role: str(req, 'role') })),
    UserRevokeRole: command((req) => ({ op: 'userRevokeRole', name: str(req, 'name'), role: str(req, 'role') })),
    RoleAdd: command((req) => ({ op: 'roleAdd', name: str(req, 'name') })),
    RoleGet: command(
      (req) => ({ op: 'roleGet', name: str(req, 'role') }),
      (r) => ({ perm: (r.perms ?? []).map(permMsg) }),
    ),
    RoleList: command(
      () => ({ op: 'roleList' }),
      (r) => ({ roles: [...(r.roles ?? [])] }),
    ),
    RoleDelete: command((req) => ({ op: 'roleDelete', name: str(req, 'role') })),
    RoleGrantPermission: command((req) => {
      const p = req.perm as Msg | undefined | null;
      if (!p) throw denied(AuthErrorCode.PermissionNotGiven);
      const perm: Permission = { permType: PERM_TYPES[String(p.permType)] ?? 'read', key: bytesOf(p, 'key'), ...withEnd(bytesOf(p, 'range_end')) };
      return { op: 'roleGrantPermission', name: str(req, 'name'), perm };
    }),
    RoleRevokePermission: command((req) => ({ op: 'roleRevokePermission', name: str(req, 'role'), key: bytesOf(req, 'key'), ...withEnd(bytesOf(req, 'range_end')) })),
  };
}
