/**
 * @module gateway/etcd-election
 * etcd's `/v3/election/*` gateway routes (v3election.proto's HTTP bindings), served by the gRPC
 * Election service's own handlers through etcd-rpc. Observe is a server stream: one
 * `{"result": LeaderResponse}` line per leader value, until the client hangs up.
 */
import type { RpcRoute } from './etcd-rpc.js';

export const ELECTION_ROUTES: Readonly<Record<string, RpcRoute>> = {
  '/v3/election/campaign': { service: 'Election', method: 'Campaign' },
  '/v3/election/proclaim': { service: 'Election', method: 'Proclaim' },
  '/v3/election/leader': { service: 'Election', method: 'Leader' },
  '/v3/election/observe': { service: 'Election', method: 'Observe', stream: 'server' },
  '/v3/election/resign': { service: 'Election', method: 'Resign' },
};
