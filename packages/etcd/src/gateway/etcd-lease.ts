/**
 * @module etcd-lease
 * The Lease endpoints of etcd's JSON gateway, over lease-ops (the operations the gRPC Lease
 * service serves, so TTL bounds, ids and errors are settled in one place): grant, revoke,
 * timetolive and leases (each also under etcd's `/v3/kv/lease/` alias where etcd has one), and
 * keepalive. Keepalive is a bidirectional stream in gRPC; grpc-gateway reads the body as a
 * sequence of JSON requests and answers each with a `{"result": ...}` line, and so does this.
 */
import type { ServerResponse } from 'node:http';
import type { KvFailure } from 'meshraft/kv';
import { EtcdGatewayError, GrpcCode, thrownReply } from '../etcd-errors.js';
import type { KvClient } from '../kv-client.js';
import { createLeaseOps } from '../lease-ops.js';
import { parseLeaseGrantRequest, parseLeaseIdRequest } from './etcd-request.js';
import { leaseJson, type headerJson } from './etcd-response.js';

type Json = Record<string, unknown>;
type Header = (revision: number) => ReturnType<typeof headerJson>;
export type LeaseEndpoint = (body: Json) => Promise<Json | KvFailure>;

export interface GatewayLeases {
  /** By path, etcd's aliases included. */
  readonly endpoints: Readonly<Record<string, LeaseEndpoint>>;
  /** `/v3/lease/keepalive`: `text` is the whole body; `parse` turns one request into JSON. */
  keepAlive(text: string, parse: (one: string) => Json, res: ServerResponse): Promise<void>;
}

export function createGatewayLeases(kv: KvClient, header: Header): GatewayLeases {
  const ops = createLeaseOps(kv);
  const grant: LeaseEndpoint = async (body) => {
    const { ttl, id } = parseLeaseGrantRequest(body);
    const r = await ops.grant(ttl, id);
    return 'id' in r ? leaseJson(header(r.revision), { id: r.id, ttl: r.ttl }) : r;
  };
  const revoke: LeaseEndpoint = async (body) => {
    const r = await ops.revoke(parseLeaseIdRequest(body).id);
    return 'code' in r ? r : { header: header(r.revision) };
  };
  const timeToLive: LeaseEndpoint = async (body) => {
    const { id, keys } = parseLeaseIdRequest(body);
    const r = await ops.timeToLive(id, keys);
    return leaseJson(header(r.revision), { id: r.id, ttl: r.ttl, grantedTtl: r.grantedTtl, keys: r.keys });
  };
  const leases: LeaseEndpoint = async () => {
    const r = await ops.list();
    return leaseJson(header(r.revision), { leases: r.ids });
  };

  async function keepAlive(text: string, parse: (one: string) => Json, res: ServerResponse): Promise<void> {
    let started = false;
    for (const one of jsonValues(text)) {
      let line: string;
      try {
        const { id } = parseLeaseIdRequest(parse(one));
        const r = await ops.keepAlive(id);
        line = JSON.stringify({ result: leaseJson(header(r.revision), { id, ttl: r.ttl }) });
      } catch (err) {
        // Once answers went out, etcd just ends the stream; before that it sends the error, with
        // a request it cannot decode reported as Unknown (500), as its stream handler does.
        if (started) break;
        const e = thrownReply(err instanceof EtcdGatewayError ? new EtcdGatewayError(err.code, GrpcCode.Unknown, 500, err.message) : err);
        const body = JSON.stringify(e.body);
        res.writeHead(e.httpStatus, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      if (res.destroyed) return;
      if (!started) res.writeHead(200, { 'content-type': 'application/json' });
      started = true;
      res.write(`${line}\n`);
    }
    if (!started) res.writeHead(200, { 'content-type': 'application/json' });
    res.end();
  }

  return {
    endpoints: {
      '/v3/lease/grant': grant,
      '/v3/lease/revoke': revoke,
      '/v3/kv/lease/revoke': revoke,
      '/v3/lease/timetolive': timeToLive,
      '/v3/kv/lease/timetolive': timeToLive,
      '/v3/lease/leases': leases,
      '/v3/kv/lease/leases': leases,
    },
    keepAlive,
  };
}

/**
 * Splits a body into its top-level JSON texts (objects and arrays by bracket depth, outside
 * strings; anything else up to the next space or bracket), each parsed on its own.
 */
export function* jsonValues(text: string): Generator<string> {
  let i = 0;
  const space = (c: string | undefined) => c === ' ' || c === '\n' || c === '\r' || c === '\t';
  for (;;) {
    while (space(text[i])) i++;
    if (i >= text.length) return;
    const start = i;
    if (text[i] === '{' || text[i] === '[') {
      let depth = 0;
      let inString = false;
      for (; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if ((c === '}' || c === ']') && --depth === 0) {
          i++;
          break;
        }
      }
    } else {
      while (i < text.length && !space(text[i]) && text[i] !== '{' && text[i] !== '[') i++;
    }
    yield text.slice(start, i);
  }
}
