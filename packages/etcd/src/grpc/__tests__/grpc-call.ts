/** Test helper: one raw gRPC call over Node's HTTP/2 client, for tests that send what grpc-js would not. */
import type { ClientHttp2Session, OutgoingHttpHeaders } from 'node:http2';
import { Etcd3 } from 'etcd3';
import { expect } from 'vitest';

/** What `call` resolves with for a stream still open after `openForMs` (as a Watch stays). */
export const STILL_OPEN = -1;

/**
 * Resolves with the call's grpc-status (from headers or trailers); rejects if the stream closes
 * without one. With `openForMs`, a stream that has no status by then is closed by the client and
 * resolves STILL_OPEN: a Watch keeps running after the client half-closes, as etcd's does.
 */
export function call(session: ClientHttp2Session, path: string, data: Buffer, headers: OutgoingHttpHeaders = {}, openForMs?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    let status: number | undefined;
    const take = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', () => {});
    req.on('error', reject);
    let open = false;
    req.on('close', () => (open ? resolve(STILL_OPEN) : status === undefined ? reject(new Error(`${path}: no grpc-status (rst ${req.rstCode})`)) : resolve(status)));
    req.setTimeout(10_000, () => req.close());
    if (openForMs !== undefined) {
      setTimeout(() => {
        if (status !== undefined || req.closed) return;
        open = true;
        req.close();
      }, openForMs);
    }
    req.end(data);
  });
}

/** A real etcd client still puts and gets through the server at `url` (after fuzzing it). */
export async function stillServes(url: string): Promise<void> {
  const client = new Etcd3({ hosts: url.replace('http://', '') });
  try {
    await client.put('alive').value('yes');
    expect(await client.get('alive').string()).toBe('yes');
  } finally {
    client.close();
  }
}
