/**
 * @module auth-store
 * The replicated part of etcd's auth (auth/store.go): users, roles, permissions, the enabled
 * flag and the auth revision, changed only by applied AuthCommands, so every member enforces the
 * same rules. Deterministic: passwords arrive already hashed and salted by the proposer.
 * Permission checks of KV requests live here too, so the gateway and apply use one rule.
 */
import { bytesEqual, compareBytes, type Bytes } from './bytes.js';
import { AuthErrorCode } from './auth-errors.js';
import { covers, grantedIntervals, type Access } from './auth-permissions.js';
import type { AuthCommand, AuthIdentity, AuthRole, AuthUser, Permission } from './auth-types.js';
import type { TxnOp } from './kv-types.js';

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

/** A rejected auth command or request; `message` is etcd's text without "etcdserver: ". */
export class AuthStoreError extends Error {
  constructor(readonly code: AuthErrorCode, message: string) {
    super(message);
    this.name = 'AuthStoreError';
  }
}

/** etcd's wording of each code (rpctypes/error.go, after "etcdserver: "). */
export const AUTH_MESSAGES: Record<AuthErrorCode, string> = {
  [AuthErrorCode.UserEmpty]: 'user name is empty',
  [AuthErrorCode.UserAlreadyExists]: 'user name already exists',
  [AuthErrorCode.UserNotFound]: 'user name not found',
  [AuthErrorCode.RoleEmpty]: 'role name is empty',
  [AuthErrorCode.RoleAlreadyExists]: 'role name already exists',
  [AuthErrorCode.RoleNotFound]: 'role name not found',
  [AuthErrorCode.RootUserNotExist]: 'root user does not exist',
  [AuthErrorCode.RootRoleNotExist]: 'root user does not have root role',
  [AuthErrorCode.AuthFailed]: 'authentication failed, invalid user ID or password',
  [AuthErrorCode.PermissionDenied]: 'permission denied',
  [AuthErrorCode.PermissionNotGiven]: 'permission not given',
  [AuthErrorCode.RoleNotGranted]: 'role is not granted to the user',
  [AuthErrorCode.PermissionNotGranted]: 'permission is not granted to the role',
  [AuthErrorCode.AuthNotEnabled]: 'authentication is not enabled',
  [AuthErrorCode.InvalidAuthToken]: 'invalid auth token',
  [AuthErrorCode.InvalidAuthMgmt]: 'invalid auth management',
  [AuthErrorCode.AuthOldRevision]: 'revision of auth store is old',
};

const fail = (code: AuthErrorCode): AuthStoreError => new AuthStoreError(code, AUTH_MESSAGES[code]);

/** What an applied auth command answers besides the revisions. */
export interface AuthOutcome {
  readonly users?: readonly string[];
  readonly roles?: readonly string[];
  readonly perms?: readonly Permission[];
}

/** The whole auth state, for snapshots. */
export interface AuthState {
  readonly enabled: boolean;
  readonly revision: number;
  /** The auth revision at the last AuthEnable: tokens issued before it are void. */
  readonly enabledAt: number;
  readonly users: readonly AuthUser[];
  readonly roles: readonly AuthRole[];
}

const byName = <T extends { name: string }>(m: Map<string, T>): T[] => [...m.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** etcd's isValidPermissionRange: a key, and an end after it (or open). */
function validRange(key: Bytes, rangeEnd: Bytes | undefined): boolean {
  if (key.length === 0) return false;
  if (rangeEnd === undefined || rangeEnd.length === 0) return true;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return true;
  return compareBytes(key, rangeEnd) < 0;
}

const sameEnd = (a: Bytes | undefined, b: Bytes | undefined) => bytesEqual(a ?? new Uint8Array(0), b ?? new Uint8Array(0));

export class AuthStore {
  #enabled = false;
  // etcd starts its auth revision at 1 and bumps it on every change but AuthEnable.
  #revision = 1;
  #enabledAt = 0;
  #users = new Map<string, AuthUser>();
  #roles = new Map<string, AuthRole>();

  get enabled(): boolean {
    return this.#enabled;
  }
  get revision(): number {
    return this.#revision;
  }
  /** The auth revision at the last AuthEnable (0 before any). */
  get enabledAt(): number {
    return this.#enabledAt;
  }
  user(name: string): AuthUser | undefined {
    return this.#users.get(name);
  }
  role(name: string): AuthRole | undefined {
    return this.#roles.get(name);
  }

  /** Applies one command; throws AuthStoreError (state unchanged) when etcd would refuse it. */
  apply(cmd: AuthCommand): AuthOutcome {
    switch (cmd.op) {
      case 'userGet':
        // etcd: root, or the user asking about itself.
        if (this.adminError(cmd.as) !== undefined && cmd.as?.user !== cmd.name) this.requireAdmin(cmd.as);
        return { roles: [...this.#mustUser(cmd.name).roles] };
      case 'roleGet':
        // etcd: root, or a user holding the role.
        if (this.adminError(cmd.as) !== undefined && !(cmd.as && this.#users.get(cmd.as.user)?.roles.includes(cmd.name))) {
          this.requireAdmin(cmd.as);
        }
        return { perms: [...this.#mustRole(cmd.name).perms] };
      default:
        this.requireAdmin(cmd.as);
        return this.#change(cmd);
    }
  }

  #change(cmd: AuthCommand): AuthOutcome {
    switch (cmd.op) {
      case 'enable': {
        if (this.#enabled) return {};
        const root = this.#users.get(ROOT_USER);
        if (!root) throw fail(AuthErrorCode.RootUserNotExist);
        if (!root.roles.includes(ROOT_ROLE)) throw fail(AuthErrorCode.RootRoleNotExist);
        this.#enabled = true;
        this.#enabledAt = this.#revision;
        return {};
      }
      case 'disable':
        if (!this.#enabled) return {};
        this.#enabled = false;
        return this.#bump();
      case 'status':
        return {};
      case 'userAdd':
        if (cmd.name.length === 0) throw fail(AuthErrorCode.UserEmpty);
        if (this.#users.has(cmd.name)) throw fail(AuthErrorCode.UserAlreadyExists);
        this.#users.set(cmd.name, { name: cmd.name, roles: [], ...(cmd.password && { password: cmd.password }) });
        return this.#bump();
      case 'userDelete':
        if (this.#enabled && cmd.name === ROOT_USER) throw fail(AuthErrorCode.InvalidAuthMgmt);
        this.#mustUser(cmd.name);
        this.#users.delete(cmd.name);
        return this.#bump();
      case 'userChangePassword': {
        const u = this.#mustUser(cmd.name);
        this.#users.set(u.name, { ...u, password: cmd.password });
        return this.#bump();
      }
      case 'userGrantRole': {
        const u = this.#mustUser(cmd.name);
        if (cmd.role !== ROOT_ROLE) this.#mustRole(cmd.role);
        if (u.roles.includes(cmd.role)) return {};
        this.#users.set(u.name, { ...u, roles: [...u.roles, cmd.role].sort() });
        return this.#bump();
      }
      case 'userRevokeRole': {
        if (this.#enabled && cmd.name === ROOT_USER && cmd.role === ROOT_ROLE) throw fail(AuthErrorCode.InvalidAuthMgmt);
        const u = this.#mustUser(cmd.name);
        if (!u.roles.includes(cmd.role)) throw fail(AuthErrorCode.RoleNotGranted);
        this.#users.set(u.name, { ...u, roles: u.roles.filter((r) => r !== cmd.role) });
        return this.#bump();
      }
      case 'userList':
        return { users: byName(this.#users).map((u) => u.name) };
      case 'roleAdd':
        if (cmd.name.length === 0) throw fail(AuthErrorCode.RoleEmpty);
        if (this.#roles.has(cmd.name)) throw fail(AuthErrorCode.RoleAlreadyExists);
        this.#roles.set(cmd.name, { name: cmd.name, perms: [] });
        return this.#bump();
      case 'roleDelete':
        if (this.#enabled && cmd.name === ROOT_ROLE) throw fail(AuthErrorCode.InvalidAuthMgmt);
        this.#mustRole(cmd.name);
        this.#roles.delete(cmd.name);
        for (const u of this.#users.values()) {
          if (u.roles.includes(cmd.name)) this.#users.set(u.name, { ...u, roles: u.roles.filter((r) => r !== cmd.name) });
        }
        return this.#bump();
      case 'roleList':
        return { roles: byName(this.#roles).map((r) => r.name) };
      case 'roleGrantPermission': {
        if (!validRange(cmd.perm.key, cmd.perm.rangeEnd)) throw fail(AuthErrorCode.InvalidAuthMgmt);
        const role = this.#mustRole(cmd.name);
        const same = (p: Permission) => bytesEqual(p.key, cmd.perm.key) && sameEnd(p.rangeEnd, cmd.perm.rangeEnd);
        const perms = role.perms.some(same)
          ? role.perms.map((p) => (same(p) ? { ...p, permType: cmd.perm.permType } : p))
          : [...role.perms, cmd.perm].sort((a, b) => compareBytes(a.key, b.key));
        this.#roles.set(role.name, { name: role.name, perms });
        return this.#bump();
      }
      case 'roleRevokePermission': {
        const role = this.#mustRole(cmd.name);
        const perms = role.perms.filter((p) => !(bytesEqual(p.key, cmd.key) && sameEnd(p.rangeEnd, cmd.rangeEnd)));
        if (perms.length === role.perms.length) throw fail(AuthErrorCode.PermissionNotGranted);
        this.#roles.set(role.name, { name: role.name, perms });
        return this.#bump();
      }
      case 'userGet':
      case 'roleGet':
        return {};
    }
  }

  #bump(): AuthOutcome {
    this.#revision += 1;
    return {};
  }
  #mustUser(name: string): AuthUser {
    const u = this.#users.get(name);
    if (!u) throw fail(AuthErrorCode.UserNotFound);
    return u;
  }
  #mustRole(name: string): AuthRole {
    const r = this.#roles.get(name);
    if (!r) throw fail(AuthErrorCode.RoleNotFound);
    return r;
  }

  /** etcd's IsAdminPermitted: undefined when allowed (auth off, or a user with the root role). */
  adminError(as: AuthIdentity | undefined): AuthErrorCode | undefined {
    if (!this.#enabled) return undefined;
    if (!as || as.user === '') return AuthErrorCode.UserEmpty;
    const u = this.#users.get(as.user);
    if (!u) return AuthErrorCode.UserNotFound;
    return u.roles.includes(ROOT_ROLE) ? undefined : AuthErrorCode.PermissionDenied;
  }

  requireAdmin(as: AuthIdentity | undefined): void {
    const code = this.adminError(as);
    if (code !== undefined) throw fail(code);
  }

  /** etcd's isOpPermitted: undefined when `as` may read or write the key or range. */
  rangeError(as: AuthIdentity | undefined, key: Bytes, rangeEnd: Bytes | undefined, access: Access): AuthErrorCode | undefined {
    if (!this.#enabled) return undefined;
    if (!as || as.revision === 0) return AuthErrorCode.UserEmpty;
    if (as.revision < this.#revision) return AuthErrorCode.AuthOldRevision;
    const u = this.#users.get(as.user);
    if (!u) return AuthErrorCode.PermissionDenied;
    if (u.roles.includes(ROOT_ROLE)) return undefined;
    const roles = u.roles.map((r) => this.#roles.get(r)).filter((r): r is AuthRole => r !== undefined);
    return covers(grantedIntervals(roles, access), key, rangeEnd) ? undefined : AuthErrorCode.PermissionDenied;
  }

  /**
   * The first refusal of a KV request, as etcd's authApplierV3 checks it: puts need write (and
   * read with prevKv), deletes write (and read with prevKv), ranges read, and a txn every
   * compare (read) and the ops of both branches.
   */
  requestError(as: AuthIdentity | undefined, op: TxnOp): AuthErrorCode | undefined {
    switch (op.type) {
      case 'range':
        return this.rangeError(as, op.key, op.rangeEnd, 'read');
      case 'put':
        return this.rangeError(as, op.key, undefined, 'write') ?? (op.prevKv ? this.rangeError(as, op.key, undefined, 'read') : undefined);
      case 'deleteRange':
        return this.rangeError(as, op.key, op.rangeEnd, 'write') ?? (op.prevKv ? this.rangeError(as, op.key, op.rangeEnd, 'read') : undefined);
      case 'txn':
        for (const c of op.compare) {
          const e = this.rangeError(as, c.key, c.rangeEnd, 'read');
          if (e) return e;
        }
        for (const o of [...op.success, ...op.failure]) {
          const e = this.requestError(as, o);
          if (e) return e;
        }
        return undefined;
    }
  }

  state(): AuthState {
    return { enabled: this.#enabled, revision: this.#revision, enabledAt: this.#enabledAt, users: byName(this.#users), roles: byName(this.#roles) };
  }

  /** True while the store holds nothing (the state a snapshot may leave out). */
  get pristine(): boolean {
    return !this.#enabled && this.#revision === 1 && this.#users.size === 0 && this.#roles.size === 0;
  }

  load(state: AuthState): void {
    this.#enabled = state.enabled;
    this.#revision = state.revision;
    this.#enabledAt = state.enabledAt;
    this.#users = new Map(state.users.map((u) => [u.name, u]));
    this.#roles = new Map(state.roles.map((r) => [r.name, r]));
  }
}
