/**
 * @module auth-codec
 * Untyped data <-> auth types: the structural check of an AuthCommand decoded from an entry, and
 * the auth part of a KV snapshot, `[enabled, revision, enabledAt, users, roles]` with users as
 * `[name, roles, scheme|null, salt|null, hash|null]` and roles as `[name, [[type, key, end|null]...]]`,
 * both sorted by name so equal states encode to equal bytes.
 */
import { KvError, KvErrorCode } from './kv-errors.js';
import type { Bytes } from './bytes.js';
import type { AuthState } from './auth-store.js';
import type { AuthCommand, AuthIdentity, AuthRole, AuthUser, PasswordHash, Permission, PermissionType } from './auth-types.js';

type Fields = Record<string, unknown>;

const invalid = (path: string, what: string) => new KvError(KvErrorCode.InvalidCommand, `${path}: ${what}`);

function str(x: unknown, path: string): string {
  if (typeof x !== 'string') throw invalid(path, 'expected a string');
  return x;
}
function bytes(x: unknown, path: string): Bytes {
  if (!(x instanceof Uint8Array)) throw invalid(path, 'expected bytes');
  // A copy: the store keeps it, and decoded bytes are views into the entry.
  return new Uint8Array(x);
}
const optBytes = (x: unknown, path: string): Bytes | undefined => (x === undefined || x === null ? undefined : bytes(x, path));
function obj(x: unknown, path: string): Fields {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || x instanceof Uint8Array) throw invalid(path, 'expected an object');
  return x as Fields;
}

const PERM_TYPES: readonly PermissionType[] = ['read', 'write', 'readwrite'];

function permType(x: unknown, path: string): PermissionType {
  if (!PERM_TYPES.includes(x as PermissionType)) throw invalid(path, 'expected read, write or readwrite');
  return x as PermissionType;
}

function password(x: unknown, path: string): PasswordHash {
  const f = obj(x, path);
  return { scheme: str(f.scheme, `${path}.scheme`), salt: bytes(f.salt, `${path}.salt`), hash: bytes(f.hash, `${path}.hash`) };
}

/** The `as` field of a command: who proposed it. */
export function parseAuthIdentity(x: unknown): AuthIdentity | undefined {
  if (x === undefined || x === null) return undefined;
  const f = obj(x, 'command.as');
  const revision = f.revision;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) throw invalid('command.as.revision', 'expected a count');
  return { user: str(f.user, 'command.as.user'), revision };
}

const withEnd = <T extends object>(base: T, rangeEnd: Bytes | undefined): T => (rangeEnd === undefined ? base : { ...base, rangeEnd });

/** Check an untyped value (`type: 'auth'`) is an AuthCommand; throws KvError(KV_INVALID_COMMAND). */
export function parseAuthCommand(f: Fields): AuthCommand {
  const as = parseAuthIdentity(f.as);
  const base = { type: 'auth' as const, ...(as && { as }) };
  const name = () => str(f.name, 'command.name');
  switch (f.op) {
    case 'enable':
    case 'disable':
    case 'status':
    case 'userList':
    case 'roleList':
      return { ...base, op: f.op };
    case 'userAdd':
      return { ...base, op: 'userAdd', name: name(), ...(f.password != null && { password: password(f.password, 'command.password') }) };
    case 'userChangePassword':
      return { ...base, op: 'userChangePassword', name: name(), password: password(f.password, 'command.password') };
    case 'userDelete':
    case 'userGet':
    case 'roleAdd':
    case 'roleDelete':
    case 'roleGet':
      return { ...base, op: f.op, name: name() };
    case 'userGrantRole':
    case 'userRevokeRole':
      return { ...base, op: f.op, name: name(), role: str(f.role, 'command.role') };
    case 'roleGrantPermission': {
      const p = obj(f.perm, 'command.perm');
      const perm: Permission = withEnd(
        { permType: permType(p.permType, 'command.perm.permType'), key: bytes(p.key, 'command.perm.key') },
        optBytes(p.rangeEnd, 'command.perm.rangeEnd'),
      );
      return { ...base, op: 'roleGrantPermission', name: name(), perm };
    }
    case 'roleRevokePermission':
      return withEnd({ ...base, op: 'roleRevokePermission' as const, name: name(), key: bytes(f.key, 'command.key') }, optBytes(f.rangeEnd, 'command.rangeEnd'));
    default:
      throw invalid('command.op', 'not an auth operation');
  }
}

export function encodeAuthState(s: AuthState): unknown[] {
  return [
    s.enabled,
    s.revision,
    s.enabledAt,
    s.users.map((u) => [u.name, [...u.roles], u.password?.scheme ?? null, u.password?.salt ?? null, u.password?.hash ?? null]),
    s.roles.map((r) => [r.name, r.perms.map((p) => [p.permType, p.key, p.rangeEnd ?? null])]),
  ];
}

function bad(why: string): KvError {
  return new KvError(KvErrorCode.InvalidSnapshot, `not a KV snapshot: bad auth state: ${why}`);
}

const isStr = (x: unknown): x is string => typeof x === 'string';

export function decodeAuthState(x: unknown): AuthState {
  if (!Array.isArray(x) || x.length !== 5 || typeof x[0] !== 'boolean' || !Number.isSafeInteger(x[1]) || (x[1] as number) < 1) throw bad('header');
  if (!Number.isSafeInteger(x[2]) || (x[2] as number) < 0) throw bad('enable revision');
  if (!Array.isArray(x[3]) || !Array.isArray(x[4])) throw bad('lists');
  const users = (x[3] as unknown[]).map((u): AuthUser => {
    if (!Array.isArray(u) || !isStr(u[0]) || !Array.isArray(u[1]) || !(u[1] as unknown[]).every(isStr)) throw bad('user');
    const roles = u[1] as string[];
    if (u[2] === null) return { name: u[0], roles };
    if (!isStr(u[2]) || !(u[3] instanceof Uint8Array) || !(u[4] instanceof Uint8Array)) throw bad(`password of ${u[0]}`);
    return { name: u[0], roles, password: { scheme: u[2], salt: u[3], hash: u[4] } };
  });
  const roles = (x[4] as unknown[]).map((r): AuthRole => {
    if (!Array.isArray(r) || !isStr(r[0]) || !Array.isArray(r[1])) throw bad('role');
    const perms = (r[1] as unknown[]).map((p): Permission => {
      if (!Array.isArray(p) || !PERM_TYPES.includes(p[0] as PermissionType) || !(p[1] instanceof Uint8Array)) throw bad(`permission of ${r[0]}`);
      if (p[2] !== null && !(p[2] instanceof Uint8Array)) throw bad(`permission end of ${r[0]}`);
      return withEnd({ permType: p[0] as PermissionType, key: p[1] }, p[2] ?? undefined);
    });
    return { name: r[0], perms };
  });
  return { enabled: x[0], revision: x[1] as number, enabledAt: x[2] as number, users, roles };
}
