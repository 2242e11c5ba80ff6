/**
 * @module auth-types
 * Commands and results of the replicated auth store (etcd's authpb and Auth RPCs): users with
 * salted password hashes, roles with key-range permissions, the enabled flag and the auth
 * revision. Hashes are computed by the proposer; the store only keeps and compares bytes.
 */
import type { Bytes } from './bytes.js';

export type PermissionType = 'read' | 'write' | 'readwrite';

/** etcd's authpb.Permission: `rangeEnd` absent is the key alone, `\0` is every key >= `key`. */
export interface Permission {
  readonly permType: PermissionType;
  readonly key: Bytes;
  readonly rangeEnd?: Bytes;
}

/** A password as the proposer hashed it: the scheme names the function and its parameters. */
export interface PasswordHash {
  readonly scheme: string;
  readonly salt: Bytes;
  readonly hash: Bytes;
}

export interface AuthUser {
  readonly name: string;
  /** Sorted, as etcd keeps them. */
  readonly roles: readonly string[];
  /** Absent for a user added with `noPassword`. */
  readonly password?: PasswordHash;
}

export interface AuthRole {
  readonly name: string;
  /** Sorted by key, as etcd keeps them. */
  readonly perms: readonly Permission[];
}

/** Who asks, as etcd's request header says it: the user and the auth revision the token was checked at. */
export interface AuthIdentity {
  readonly user: string;
  readonly revision: number;
}

export type AuthOp =
  | { readonly op: 'enable' }
  | { readonly op: 'disable' }
  | { readonly op: 'status' }
  | { readonly op: 'userAdd'; readonly name: string; readonly password?: PasswordHash }
  | { readonly op: 'userDelete'; readonly name: string }
  | { readonly op: 'userChangePassword'; readonly name: string; readonly password: PasswordHash }
  | { readonly op: 'userGrantRole'; readonly name: string; readonly role: string }
  | { readonly op: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly op: 'userGet'; readonly name: string }
  | { readonly op: 'userList' }
  | { readonly op: 'roleAdd'; readonly name: string }
  | { readonly op: 'roleDelete'; readonly name: string }
  | { readonly op: 'roleGet'; readonly name: string }
  | { readonly op: 'roleList' }
  | { readonly op: 'roleGrantPermission'; readonly name: string; readonly perm: Permission }
  | { readonly op: 'roleRevokePermission'; readonly name: string; readonly key: Bytes; readonly rangeEnd?: Bytes };

/** One auth change or read, replicated through the log; `as` is checked at apply, as etcd does. */
export type AuthCommand = AuthOp & { readonly type: 'auth'; readonly as?: AuthIdentity };

/** `revision` is the KV store revision (for response headers); `authRevision` the auth store's. */
export interface AuthResult {
  readonly type: 'auth';
  readonly ok: true;
  readonly revision: number;
  readonly authRevision: number;
  readonly enabled: boolean;
  /** userList: user names; userGet: the user's roles are in `roles`. */
  readonly users?: readonly string[];
  /** roleList: role names; userGet: the user's roles. */
  readonly roles?: readonly string[];
  /** roleGet: the role's permissions. */
  readonly perms?: readonly Permission[];
}
