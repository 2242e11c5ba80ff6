/**
 * @module gateway/etcd-auth
 * etcd's `/v3/auth/*` gateway routes (rpc.proto's HTTP bindings for the Auth service), served
 * by the gRPC Auth service's own handlers through etcd-rpc, with the `Authorization` header as
 * the token. `/v3/auth/status` is etcd 3.5's (etcd 3.4.23's gateway answers 404 there).
 */
import type { RpcRoute } from './etcd-rpc.js';

const auth = (method: string): RpcRoute => ({ service: 'Auth', method });

export const AUTH_ROUTES: Readonly<Record<string, RpcRoute>> = {
  '/v3/auth/enable': auth('AuthEnable'),
  '/v3/auth/disable': auth('AuthDisable'),
  '/v3/auth/status': auth('AuthStatus'),
  '/v3/auth/authenticate': auth('Authenticate'),
  '/v3/auth/user/add': auth('UserAdd'),
  '/v3/auth/user/get': auth('UserGet'),
  '/v3/auth/user/list': auth('UserList'),
  '/v3/auth/user/delete': auth('UserDelete'),
  '/v3/auth/user/changepw': auth('UserChangePassword'),
  '/v3/auth/user/grant': auth('UserGrantRole'),
  '/v3/auth/user/revoke': auth('UserRevokeRole'),
  '/v3/auth/role/add': auth('RoleAdd'),
  '/v3/auth/role/get': auth('RoleGet'),
  '/v3/auth/role/list': auth('RoleList'),
  '/v3/auth/role/delete': auth('RoleDelete'),
  '/v3/auth/role/grant': auth('RoleGrantPermission'),
  '/v3/auth/role/revoke': auth('RoleRevokePermission'),
};
