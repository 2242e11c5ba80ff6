/**
 * @module auth/auth-guard
 * Per-request auth checks in front of the KV, Watch, Lease, Cluster and Maintenance services, as
 * etcd 3.4's v3rpc, v3_server.go and authApplierV3 do them. The caller's identity comes from the
 * `token` metadata; handlers run inside an AsyncLocalStorage scope holding it, so writes proposed from there carry
 * `as` and are checked again at apply (against the auth revision they were checked at).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metadata, ServerDuplexStream, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { AUTH_MESSAGES, AuthErrorCode, KvError, prefixRangeEnd, type AuthIdentity, type AuthView, type KvCommand } from 'meshraft/kv';
import { grpcStatus } from '../etcd-errors.js';
import { keyPrefix, recipeError } from '../grpc/concurrency-keys.js';
import { serviceError } from '../grpc/kv-services.js';
import type { KvClient } from '../kv-client.js';
import { bytes, header, int, toDeleteRange, toPut, toRange, toTxn, type Msg } from '../grpc/messages.js';
import type { SimpleTokens } from './auth-tokens.js';

export const denied = (code: AuthErrorCode): KvError => new KvError(code, AUTH_MESSAGES[code]);

const scope = new AsyncLocalStorage<AuthIdentity | undefined>();

/** The identity of the request being served, when its handler runs under the guard. */
export const currentIdentity = (): AuthIdentity | undefined => scope.getStore();

type Check = (id: AuthIdentity | undefined, req: Msg) => void;
/** The gRPC status a refused request gets. */
type Refusal = (err: unknown) => { code: number; details: string };

export class AuthGuard {
  constructor(
    readonly auth: AuthView,
    readonly tokens: SimpleTokens,
    /** The keys attached to a lease, for the lease checks. */
    private readonly leaseKeys: (id: number) => readonly Uint8Array[] = () => [],
  ) {}

  /**
   * etcd's AuthInfoFromCtx: no identity when no token is sent; a dead token fails, also while
   * auth is off (etcd 3.4 reads a sent token whether or not auth is enabled, and AuthDisable
   * drops every token, so any token sent then is dead).
   */
  identify(md: Metadata): AuthIdentity | undefined {
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
  /** Only a sent token must be alive. */
  readonly none: Check = () => {};
  /** While auth is enabled, a user (a live token) is needed. */
  readonly user: Check = (id) => {
    if (this.auth.enabled && id === undefined) throw denied(AuthErrorCode.UserEmpty);
  };
  readonly range: Check = (id, req) => this.need(this.auth.requestError(id, toRange(req).query));
  readonly put: Check = (id, req) => this.need(this.auth.requestError(id, toPut(req)));
  readonly deleteRange: Check = (id, req) => this.need(this.auth.requestError(id, toDeleteRange(req)));
  readonly txn: Check = (id, req) => this.need(this.auth.requestError(id, toTxn(req)));
  /**
   * etcd's checkLeasePuts before a client's revoke: write on every attached key, so a lease with
   * keys cannot be revoked without a user ("user name is empty"). With a user, apply checks again.
   */
  readonly leaseRevoke: Check = (id, req) => {
    for (const key of this.leaseKeys(int(req, 'ID'))) this.need(this.auth.rangeError(id, key, undefined, 'write'));
  };
  /** etcd 3.4.26+'s checkLeaseTimeToLive (CVE-2023-32082): a user, with read on every attached key. */
  readonly leaseTimeToLive: Check = (id, req) => {
    if (!this.auth.enabled) return;
    if (id === undefined) throw denied(AuthErrorCode.UserEmpty);
    for (const key of this.leaseKeys(int(req, 'ID'))) this.need(this.auth.rangeError(id, key, undefined, 'read'));
  };

  /**
   * Leader and Observe read the election's keys as the caller in etcd (Go's Election does a Get
   * with the caller's credentials): a user with read on `NAME/`.
   */
  readonly electionRead: Check = (id, req) => {
    this.user(id, req);
    if (!this.auth.enabled) return;
    const prefix = keyPrefix(bytes(req, 'name'));
    this.need(this.auth.rangeError(id, prefix, prefixRangeEnd(prefix), 'read'));
  };

  /** Every handler of a service behind one check (the Auth service: only the token is read). */
  all(service: UntypedServiceImplementation, check: Check, refusal: Refusal = serviceError): UntypedServiceImplementation {
    return Object.fromEntries(Object.entries(service).map(([name, handler]) => [name, this.unary(handler, check, false, refusal)]));
  }

  /**
   * `asMaintenance`: etcd 3.4's Maintenance service passes the auth store's own errors through
   * untranslated, so clients see code Unknown and "auth: permission denied".
   */
  unary(handler: unknown, check: Check, asMaintenance = false, refusal: Refusal = asMaintenance ? maintenanceError : serviceError) {
    const inner = handler as (call: ServerUnaryCall<Msg, Msg>, cb: sendUnaryData<Msg>) => void;
    return (call: ServerUnaryCall<Msg, Msg>, callback: sendUnaryData<Msg>) => {
      let id: AuthIdentity | undefined;
      try {
        id = this.identify(call.metadata);
        check(id, call.request);
      } catch (err) {
        callback(refusal(err));
        return;
      }
      scope.run(id, () => inner(call, callback));
    };
  }

  /** `refusal` null: a refused stream just ends (OK, no messages), as etcd's Observe. */
  serverStream(handler: unknown, check: Check, refusal: Refusal | null = maintenanceError) {
    const inner = handler as (call: ServerWritableStream<Msg, Msg>) => void;
    return (call: ServerWritableStream<Msg, Msg>) => {
      let id: AuthIdentity | undefined;
      try {
        id = this.identify(call.metadata);
        check(id, call.request);
      } catch (err) {
        if (!refusal) return call.end();
        const s = refusal(err);
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
        // A sent token is read while auth is off too (dead then, as every identify documents).
        if (req.request_union !== 'create_request') return undefined;
        const c = (req.create_request ?? {}) as Msg;
        try {
          const id = this.identify(call.metadata);
          this.range(id, c);
          return undefined;
        } catch (err) {
          const s = grpcStatus(err);
          // etcd sends the gRPC error's text, "rpc error: code = ... desc = ...".
          const reason = `rpc error: code = ${GRPC_NAMES[s.code] ?? s.code} desc = ${s.message}`;
          // etcd 3.4.23 answers a refused create with watch id -1, whatever id was asked for.
          return { header: header(kv.identity(), revisionNow()), watch_id: '-1', created: true, canceled: true, cancel_reason: reason };
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

/** etcd 3.4's Maintenance refusals: the auth package's error as is (code Unknown, "auth: ..."). */
function maintenanceError(err: unknown): { code: number; details: string } {
  const s = serviceError(err);
  return err instanceof KvError && err.code in AUTH_MESSAGES ? { code: 2, details: `auth: ${err.message}` } : s;
}

const GRPC_NAMES: Record<number, string> = { 3: 'InvalidArgument', 7: 'PermissionDenied', 9: 'FailedPrecondition', 16: 'Unauthenticated' };

type Services = Record<'KV' | 'Cluster' | 'Maintenance' | 'Watch' | 'Lease' | 'Lock' | 'Election', UntypedServiceImplementation>;

/** The services with etcd 3.4's checks (v3rpc auth*Server, v3_server.go, apply_auth.go). */
export function guardServices(
  guard: AuthGuard,
  s: Services,
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
      // etcd 3.4.23 serves MemberList to anyone, even with a dead token.
      MemberList: s.Cluster.MemberList!,
      MemberAdd: g.unary(s.Cluster.MemberAdd, g.admin),
      MemberRemove: g.unary(s.Cluster.MemberRemove, g.admin),
      MemberUpdate: g.unary(s.Cluster.MemberUpdate, g.admin),
      MemberPromote: g.unary(s.Cluster.MemberPromote, g.admin),
    },
    Maintenance: {
      // etcd 3.4.23 reads no token for Status and MoveLeader; Alarm only fails a dead token.
      Status: s.Maintenance.Status!,
      MoveLeader: s.Maintenance.MoveLeader!,
      Alarm: g.unary(s.Maintenance.Alarm, g.none, true),
      Hash: g.unary(s.Maintenance.Hash, g.admin, true),
      HashKV: g.unary(s.Maintenance.HashKV, g.admin, true),
      Defragment: g.unary(s.Maintenance.Defragment, g.admin, true),
      Downgrade: g.unary(s.Maintenance.Downgrade, g.admin, true),
      Snapshot: g.serverStream(s.Maintenance.Snapshot, g.admin),
    },
    Watch: { Watch: g.watch(s.Watch.Watch, kv, revisionNow) },
    Lease: {
      // etcd 3.4 reads no token for keep-alives and LeaseLeases; a grant fails only a dead token.
      ...s.Lease,
      LeaseGrant: g.unary(s.Lease.LeaseGrant, g.none),
      LeaseRevoke: g.unary(s.Lease.LeaseRevoke, g.leaseRevoke),
      LeaseTimeToLive: g.unary(s.Lease.LeaseTimeToLive, g.leaseTimeToLive),
    },
    // etcd's lock and election servers call etcd with the caller's credentials: a user is needed,
    // and the keys they write are checked at apply as that user's puts and deletes.
    // Their refusals are etcd's client errors as those servers pass them on: code Unknown.
    Lock: g.all(s.Lock, g.user, recipeError),
    Election: {
      Campaign: g.unary(s.Election.Campaign, g.user, false, recipeError),
      Proclaim: g.unary(s.Election.Proclaim, g.user, false, recipeError),
      Leader: g.unary(s.Election.Leader, g.electionRead, false, recipeError),
      Resign: g.unary(s.Election.Resign, g.user, false, recipeError),
      // etcd's Observe ends when its first read fails, so a refusal is an empty stream (OK).
      Observe: g.serverStream(s.Election.Observe, g.electionRead, null),
    },
  };
}

/** A KvClient whose writes carry the identity of the request they are proposed for. */
export function proposingAs(kv: KvClient): KvClient {
  return {
    ...kv,
    propose(command) {
      const as = currentIdentity();
      const stamps = command.type === 'put' || command.type === 'deleteRange' || command.type === 'txn' || command.type === 'leaseRevoke';
      const stamped = as && stamps ? ({ ...command, as } as KvCommand) : command;
      return kv.propose(stamped as typeof command);
    },
  };
}
