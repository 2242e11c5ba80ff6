/**
 * Test helper: put / get / CAS over the etcd gateway (JSON) or etcd's gRPC KV service (a plain
 * grpc-js client from the vendored protos: no client-side retries), recorded as a history for
 * the linearizability checker. Anything but a success (an error status, a refused connection, a
 * timeout) is indeterminate: the operation may or may not have taken effect.
 */
import { credentials, loadPackageDefinition, type Client, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { KvInput, KvOperation, KvOutput } from '@meshraft/sim';
import { LOADER_OPTIONS, protoDir } from '../../grpc/proto.js';
import { b64, unb64 } from './peer-process.js';

type Msg = Record<string, unknown>;
type Unary = (req: Msg, options: { deadline: number }, cb: (err: Error | null, res: Msg) => void) => void;

let KvClientCtor: ServiceClientConstructor | undefined;
function kvClient(url: string): Client & Record<string, Unary> {
  KvClientCtor ??= ((loadPackageDefinition(loadSync('rpc.proto', { ...LOADER_OPTIONS, includeDirs: [protoDir] })) as GrpcObject).etcdserverpb as GrpcObject)
    .KV as ServiceClientConstructor;
  return new KvClientCtor(url.replace('http://', ''), credentials.createInsecure()) as unknown as Client & Record<string, Unary>;
}

function grpcCall(client: Record<string, Unary>, input: KvInput, deadline: number): Promise<KvOutput> {
  const key = Buffer.from(input.key);
  const call = (method: string, req: Msg) =>
    new Promise<Msg>((resolve, reject) => client[method]!(req, { deadline }, (err, res) => (err ? reject(err) : resolve(res))));
  switch (input.kind) {
    case 'get':
      return call('Range', { key }).then((r) => {
        const kvs = r.kvs as { value: Buffer }[];
        return { value: kvs[0] ? kvs[0].value.toString('utf8') : null };
      });
    case 'put':
      return call('Put', { key, value: Buffer.from(input.value) }).then(() => ({}));
    case 'cas': {
      const compare =
        input.expected === null
          ? { key, target: 'CREATE', result: 'EQUAL', create_revision: '0' }
          : { key, target: 'VALUE', result: 'EQUAL', value: Buffer.from(input.expected) };
      return call('Txn', { compare: [compare], success: [{ request_put: { key, value: Buffer.from(input.value) } }] }).then((r) => ({ ok: r.succeeded === true }));
    }
  }
}

const REQUEST_TIMEOUT_MS = 4000;

function body(input: KvInput): { path: string; json: unknown } {
  switch (input.kind) {
    case 'get':
      return { path: '/v3/kv/range', json: { key: b64(input.key) } };
    case 'put':
      return { path: '/v3/kv/put', json: { key: b64(input.key), value: b64(input.value) } };
    case 'cas': {
      const compare =
        input.expected === null
          ? { key: b64(input.key), target: 'CREATE', result: 'EQUAL', create_revision: '0' }
          : { key: b64(input.key), target: 'VALUE', result: 'EQUAL', value: b64(input.expected) };
      return {
        path: '/v3/kv/txn',
        json: { compare: [compare], success: [{ request_put: { key: b64(input.key), value: b64(input.value) } }] },
      };
    }
  }
}

function output(input: KvInput, json: Record<string, unknown>): KvOutput {
  switch (input.kind) {
    case 'get': {
      const kvs = json.kvs as { value?: string }[] | undefined;
      return { value: kvs?.[0] ? unb64(kvs[0].value ?? '') : null };
    }
    case 'put':
      return {};
    case 'cas':
      return { ok: json.succeeded === true };
  }
}

export class KvHistory {
  readonly ops: KvOperation[] = [];
  private readonly t0 = performance.now();
  private readonly clients = new Map<string, Client & Record<string, Unary>>();

  constructor(private readonly protocol: 'json' | 'grpc' = 'json') {}

  close(): void {
    for (const c of this.clients.values()) c.close();
  }

  /** Runs one operation against `url` and records it; resolves with the output, or undefined when indeterminate. */
  async run(clientId: number, url: string, input: KvInput): Promise<KvOutput | undefined> {
    const callTime = performance.now() - this.t0;
    let out: KvOutput | undefined;
    if (this.protocol === 'grpc') {
      let client = this.clients.get(url);
      if (!client) this.clients.set(url, (client = kvClient(url)));
      out = await grpcCall(client, input, Date.now() + REQUEST_TIMEOUT_MS).catch(() => undefined);
      const returnTime = performance.now() - this.t0;
      this.ops.push(out === undefined ? { clientId, input, callTime } : { clientId, input, callTime, output: out, returnTime });
      return out;
    }
    const { path, json } = body(input);
    try {
      const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(json), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await res.text();
      if (res.status === 200) out = output(input, JSON.parse(text) as Record<string, unknown>);
    } catch {
      // refused, reset or timed out: indeterminate
    }
    const returnTime = performance.now() - this.t0;
    this.ops.push(out === undefined ? { clientId, input, callTime } : { clientId, input, callTime, output: out, returnTime });
    return out;
  }

  get answered(): number {
    return this.ops.filter((o) => o.output !== undefined).length;
  }
}
