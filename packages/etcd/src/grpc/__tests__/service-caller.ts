/** Test helper: promise-shaped unary and server-stream calls on a grpc-js client of a vendored etcd service. */
import { credentials, type Client, type ClientReadableStream, type ClientUnaryCall } from '@grpc/grpc-js';
import { etcdGrpcClient, type EtcdServices } from '../proto.js';

export type Reply = Record<string, unknown>;
type UnaryMethod = (req: object, cb: (e: Error | null, v: Reply) => void) => ClientUnaryCall;
type StreamMethod = (req: object) => ClientReadableStream<Reply>;

/** A pending unary call that can be cancelled (as a client that gives up). */
export interface PendingCall extends Promise<Reply> {
  cancel(): void;
}

export interface ServiceCaller {
  call(method: string, req: object): PendingCall;
  stream(method: string, req: object): ClientReadableStream<Reply>;
  close(): void;
}

export function serviceCaller(service: keyof EtcdServices, address: string): ServiceCaller {
  const client: Client = etcdGrpcClient(service, address, credentials.createInsecure());
  const unary = client as unknown as Record<string, UnaryMethod>;
  const streams = client as unknown as Record<string, StreamMethod>;
  return {
    call(method, req) {
      let handle: ClientUnaryCall | undefined;
      const p = new Promise<Reply>((resolve, reject) => {
        handle = unary[method]!.call(client, req, (err, v) => (err ? reject(err) : resolve(v)));
      }) as PendingCall;
      p.cancel = () => handle?.cancel();
      return p;
    },
    stream: (method, req) => streams[method]!.call(client, req),
    close: () => client.close(),
  };
}

/** Whether `p` is still pending after `ms` milliseconds. */
export async function stillPending(p: Promise<unknown>, ms = 300): Promise<boolean> {
  const t = Symbol('pending');
  return (await Promise.race([p.then(() => 'settled', () => 'settled'), new Promise((r) => setTimeout(() => r(t), ms))])) === t;
}
