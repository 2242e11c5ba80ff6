/**
 * @module auth/auth-guard
 * Per-request auth checks in front of the KV, Watch, Cluster and Maintenance services, as etcd
 * 3.4's v3rpc and authApplierV3 do them. The caller's identity comes from the `token` metadata;
 * handlers run inside an AsyncLocalStorage scope holding it, so writes proposed from there carry
 * `as` and are checked again at apply (against the auth revision they were checked at).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metadata, ServerDuplexStream, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { AUTH_MESSAGES, AuthErrorCode, KvError, type AuthIdentity, type AuthView, type KvCommand } from 'meshraft/kv';
import { grpcStatus } from '../etcd-errors.js';
import type { KvClient } from '../kv-client.js';
import { header, toDeleteRange, toPut, toRange, toTxn, type Msg } from '../grpc/messages.js';
import type { SimpleTokens } from './auth-tokens.js';

export const denied = (code: AuthErrorCode): KvError => new KvError(code, AUTH_MESSAGES[code]);

const scope = new AsyncLocalStorage<AuthIdentity | undefined>();

/** The identity of the request being served, when its handler runs under the guard. */
export const currentIdentity = (): AuthIdentity | undefined => scope.getStore();

type Check = (id: AuthIdentity | undefined, req: Msg) => void;

export class AuthGuard {
  constructor(
    readonly auth: AuthView,
    readonly tokens: SimpleTokens,
  ) {}

  /** etcd's AuthInfoFromCtx: no identity while auth is off or no token is sent; a dead token fails. */
  identify(md: Metadata): AuthIdentity | undefined {
    if (!this.auth.enabled) return undefined;
    const token = md.get('token')[0] ?? md.get('authorization')[0];
    if (token === undefined) return undefined;
    const user = this.tokens.user(String(token));
    if (user === undefined) throw denied(AuthErrorCode.InvalidAuthToken);
    return { user, revision: this.auth.revision };
  }

  /** Throws etcd's error unless `id` may do what `op` asks. */
  need(code: AuthErrorCode | undefined): void {
    if (code !== undefined) throw denied(code);
  }

  readonly admin: Check = (id) => this.need(this.auth.adminError(id));
  /** etcd's requireAuthInfo: any authenticated user. */
  readonly user: Check = (id) => {
    if (this.auth.enabled && id === undefined) throw denied(AuthErrorCode.UserEmpty);
  };
  readonly none: Check = () => {};
  readonly range: Check = (id, req) => this.need(this.auth.requestError(id, toRange(req).query));
  readonly put: Check = (id, req) => this.need(this.auth.requestError(id, toPut(req)));
  readonly deleteRange: Check = (id, req) => this.need(this.auth.requestError(id, toDeleteRange(req)));
  readonly txn: Check = (id, req) => this.need(this.auth.requestError(id, toTxn(req)));

  /** The status a refused call gets. */
  static status(err: unknown): { code: number; details: string } {
    const s = grpcStatus(err);
    return { code: s.code, details: s.message };
  }

  unary(handler: unknown, check: Check) {
    const inner = handler as (call: ServerUnaryCall<Msg, Msg>, cb: sendUnaryData<Msg>) => void;
    return (call: ServerUnaryCall<Msg, Msg>, callback: sendUnaryData<Msg>) => {
      let id: AuthIdentity | undefined;
      try {
        id = this.identify(call.metadata);
        check(id, call.request);
      } catch (err) {
        callback(AuthGuard.status(err));
        return;
      }
      scope.run(id, () => inner(call, callback));
    };
  }

  serverStream(handler: unknown, check: Check) {
    const inner = handler as (call: ServerWritableStream<Msg, Msg>) => void;
    return (call: ServerWritableStream<Msg, Msg>) => {
      let id: AuthIdentity | undefined;
      try {
        id = this.identify(call.metadata);
        check(id, call.request);
      } catch (err) {
        const s = AuthGuard.status(err);
        call.destroy(Object.assign(new Error(s.details), s));
        return;
      }
      scope.run(id, () => inner(call));
    };
  }

  /**
   * Watch: every create request needs read on its range (etcd's isWatchPermitted); a refused one
   * is answered created+canceled with etcd's reason and never reaches the watch service.
   */
  watch(handler: unknown, kv: KvClient, revisionNow: () => number) {
    const inner = handler as (call: ServerDuplexStream<Msg, Msg>) => void;
    return (call: ServerDuplexStream<Msg, Msg>) => {
      const on = call.on.bind(call);
      const refusal = (req: Msg): Msg | undefined => {
        if (req.request_union !== 'create_request' || !this.auth.enabled) return undefined;
        const c = (req.create_request ?? {}) as Msg;
        try {
          const id = this.identify(call.metadata);
          this.range(id, c);
          return undefined;
        } catch (err) {
          const s = grpcStatus(err);
          // etcd sends the gRPC error's text, "rpc error: code = ... desc = ...".
          const reason = `rpc error: code = ${GRPC_NAMES[s.code] ?? s.code} desc = ${s.message}`;
          return { header: header(kv.identity(), revisionNow()), watch_id: String(c.watch_id ?? '0'), created: true, canceled: true, cancel_reason: reason };
        }
      };
      (call as { on: unknown }).on = (event: string, fn: (...args: unknown[]) => void) => {
        if (event !== 'data') return on(event, fn);
        return on('data', (req: Msg) => {
          const r = refusal(req);
          if (r === undefined) fn(req);
          else if (!call.cancelled && call.writable) call.write(r);
        });
      };
      inner(call);
    };
  }
}

const GRPC_NAMES: Record<number, string> = { 3: 'InvalidArgument', 7: 'PermissionDenied', 9: 'FailedPrecondition', 16: 'Unauthenticated' };

/** The services with etcd 3.4's checks (v3rpc auth*Server, v3_server.go, apply_auth.go). */
export function guardServices(
  guard: AuthGuard,
  s: { KV: UntypedServiceImplementation; Cluster: UntypedServiceImplementation; Maintenance: UntypedServiceImplementation; Watch: UntypedServiceImplementation },
  kv: KvClient,
  revisionNow: () => number,
) {
  const g = guard;
  return {
    KV: {
      Range: g.unary(s.KV.Range, g.range),
      Put: g.unary(s.KV.Put, g.put),
      DeleteRange: g.unary(s.KV.DeleteRange, g.deleteRange),
      Txn: g.unary(s.KV.Txn, g.txn),
      // etcd 3.4 checks no permission on Compact (needAdminPermission leaves it out).
      Compact: g.unary(s.KV.Compact, g.none),
    },
    Cluster: {
      MemberList: g.unary(s.Cluster.MemberList, g.user),
      MemberAdd: g.unary(s.Cluster.MemberAdd, g.admin),
      MemberRemove: g.unary(s.Cluster.MemberRemove, g.admin),
      MemberUpdate: g.unary(s.Cluster.MemberUpdate, g.admin),
      MemberPromote: g.unary(s.Cluster.MemberPromote, g.admin),
    },
    Maintenance: {
      // etcd 3.4.23's authMaintenanceServer checks Status, Alarm and MoveLeader for nothing.
      Status: g.unary(s.Maintenance.Status, g.none),
      Alarm: g.unary(s.Maintenance.Alarm, g.none),
      MoveLeader: g.unary(s.Maintenance.MoveLeader, g.none),
      Hash: g.unary(s.Maintenance.Hash, g.admin),
      HashKV: g.unary(s.Maintenance.HashKV, g.admin),
      Defragment: g.unary(s.Maintenance.Defragment, g.admin),
      Downgrade: g.unary(s.Maintenance.Downgrade, g.admin),
      Snapshot: g.serverStream(s.Maintenance.Snapshot, g.admin),
    },
    Watch: { Watch: g.watch(s.Watch.Watch, kv, revisionNow) },
  };
}

/** A KvClient whose writes carry the identity of the request they are proposed for. */
export function proposingAs(kv: KvClient): KvClient {
  return {
    ...kv,
    propose(command) {
      const as = currentIdentity();
      const stamped = as && (command.type === 'put' || command.type === 'deleteRange' || command.type === 'txn') ? ({ ...command, as } as KvCommand) : command;
      return kv.propose(stamped as typeof command);
    },
  };
}
