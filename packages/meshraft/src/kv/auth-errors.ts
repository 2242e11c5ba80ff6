/**
 * @module auth-errors
 * Error codes of the auth store, one per etcd auth error (auth/store.go). A rejected auth command
 * or a denied request is answered with a KvFailure carrying one of these codes.
 */
export const AuthErrorCode = {
  /** No user given (etcd: "user name is empty"): a request without a token while auth is on. */
  UserEmpty: 'AUTH_USER_EMPTY',
  UserAlreadyExists: 'AUTH_USER_ALREADY_EXISTS',
  UserNotFound: 'AUTH_USER_NOT_FOUND',
  RoleEmpty: 'AUTH_ROLE_EMPTY',
  RoleAlreadyExists: 'AUTH_ROLE_ALREADY_EXISTS',
  RoleNotFound: 'AUTH_ROLE_NOT_FOUND',
  /** AuthEnable without a `root` user (etcd: "root user does not exist"). */
  RootUserNotExist: 'AUTH_ROOT_USER_NOT_EXIST',
  /** AuthEnable while `root` lacks the `root` role (etcd: "root user does not have root role"). */
  RootRoleNotExist: 'AUTH_ROOT_ROLE_NOT_EXIST',
  /** Unknown user or wrong password (etcd: "authentication failed, invalid user ID or password"). */
  AuthFailed: 'AUTH_FAILED',
  PermissionDenied: 'AUTH_PERMISSION_DENIED',
  PermissionNotGiven: 'AUTH_PERMISSION_NOT_GIVEN',
  RoleNotGranted: 'AUTH_ROLE_NOT_GRANTED',
  PermissionNotGranted: 'AUTH_PERMISSION_NOT_GRANTED',
  AuthNotEnabled: 'AUTH_NOT_ENABLED',
  InvalidAuthToken: 'AUTH_INVALID_TOKEN',
  /** Deleting root, its role, or revoking root from root while auth is on; a bad permission range. */
  InvalidAuthMgmt: 'AUTH_INVALID_MGMT',
  /** The request was checked at an auth revision older than the store's. */
  AuthOldRevision: 'AUTH_OLD_REVISION',
} as const;
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];
