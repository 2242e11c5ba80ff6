/**
 * @module grpc/lease-service
 * etcd's Lease service: LeaseGrant, LeaseRevoke, LeaseKeepAlive (a bidirectional stream whose
 * keep-alives are proposed through Raft, so one sent to a follower reaches the leader's keeper
 * when it is applied there), LeaseTimeToLive and LeaseLeases.
 */
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { KvClient } from '../kv-client.js';
import { createLeaseOps } from '../lease-ops.js';
import { serviceError, unary } from './kv-services.js';
import { header, int, type Msg } from './messages.js';

export function createLeaseService(kv: KvClient): UntypedServiceImplementation {
  const ops = createLeaseOps(kv);
  const h = (revision: number) => header(kv.identity(), revision);

  return {
    LeaseGrant: unary(async (req) => {
      const r = await ops.grant(int(req, 'TTL'), int(req, 'ID'));
      return 'id' in r ? { header: h(r.revision), ID: String(r.id), TTL: String(r.ttl), error: '' } : r;
    }),
    LeaseRevoke: unary(async (req) => {
      const r = await ops.revoke(int(req, 'ID'));
      return 'code' in r ? r : { header: h(r.revision) };
    }),
    LeaseTimeToLive: unary(async (req) => {
      const r = await ops.timeToLive(int(req, 'ID'), req.keys === true);
      return { header: h(r.revision), ID: String(r.id), TTL: String(r.ttl), grantedTTL: String(r.grantedTtl), keys: [...r.keys] };
    }),
    LeaseLeases: unary(async () => {
      const r = await ops.list();
      return { header: h(r.revision), leases: r.ids.map((id) => ({ ID: String(id) })) };
    }),
    LeaseKeepAlive(call: ServerDuplexStream<Msg, Msg>) {
      // One at a time, in order: each answer follows its request.
      let queue = Promise.resolve();
      let closed = false;
      const close = () => {
        closed = true;
      };
      call.on('data', (req: Msg) => {
        queue = queue.then(async () => {
          if (closed) return;
          try {
            const id = int(req, 'ID');
            const r = await ops.keepAlive(id);
            if (!closed && call.writable) call.write({ header: h(r.revision), ID: String(id), TTL: String(r.ttl) });
          } catch (err) {
            closed = true;
            const s = serviceError(err);
            call.destroy(Object.assign(new Error(s.details), s));
          }
        });
      });
      call.on('end', () => {
        void queue.then(() => {
          closed = true;
          call.end();
        });
      });
      call.on('error', close);
      call.on('cancelled', close);
      call.on('close', close);
    },
  };
}
