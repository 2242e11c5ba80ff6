/**
 * @module etcd-watch
 * `POST /v3/watch` as grpc-gateway streams it: a chunked response of newline-separated
 * `{"result": WatchResponse}` objects. The first says `created`; then one message per revision
 * with matching events. The stream ends when the client disconnects.
 *
 * Events come from the answering member's apply stream (KvClient.watch). No history is kept, so
 * a `start_revision` at or below the current revision is answered the way etcd answers a
 * compacted one: `canceled` with `compact_revision` set to the first revision it can deliver.
 */
import type { ServerResponse } from 'node:http';
import type { WatchBatch, WatchEvent } from 'meshraft/kv';
import { EtcdGatewayError, EtcdGatewayErrorCode, GrpcCode } from '../etcd-errors.js';
import type { WatchCreateRequest } from './etcd-request.js';
import { kvJson } from './etcd-response.js';
import type { KvClient } from '../kv-client.js';
import { openWatch } from '../watch-source.js';

type JsonObject = Record<string, unknown>;

export function watchUnsupported(): EtcdGatewayError {
  return new EtcdGatewayError(
    EtcdGatewayErrorCode.NotImplemented,
    GrpcCode.Unimplemented,
    501,
    'watch is not supported by this member',
  );
}

function eventJson(e: WatchEvent, prevKv: boolean): JsonObject {
  const o: JsonObject = {};
  if (e.type === 'delete') o.type = 'DELETE'; // PUT is the enum's zero value, so it is omitted
  o.kv = kvJson(e.kv);
  if (prevKv && e.prevKv) o.prev_kv = kvJson(e.prevKv);
  return o;
}

/**
 * Serve one watch stream until the client goes away. `header(revision)` builds response headers;
 * `currentRevision` reads the store revision.
 * Resolves once the stream is set up (created or canceled).
 */
export async function serveWatch(
  kv: KvClient,
  w: WatchCreateRequest,
  res: ServerResponse,
  header: (revision: number) => JsonObject,
): Promise<void> {
  const watchId = w.watchId === 0 ? {} : { watch_id: String(w.watchId) };
  const write = (result: JsonObject) => {
    if (!res.destroyed) res.write(JSON.stringify({ result }) + '\n');
  };
  const opened = openWatch(kv, { key: w.key, ...(w.rangeEnd ? { rangeEnd: w.rangeEnd } : {}), startRevision: w.startRevision, prevKv: w.prevKv });
  if (opened === null) throw watchUnsupported();
  res.writeHead(200, { 'content-type': 'application/json' });
  if (!opened.ok) {
    // etcd answers created, then cancels with the compaction point.
    write({ header: header(opened.compactRevision), ...watchId, created: true });
    write({
      header: header(opened.compactRevision),
      ...watchId,
      canceled: true,
      compact_revision: String(opened.compactRevision),
      cancel_reason: 'etcdserver: mvcc: required revision has been compacted',
    });
    res.end();
    return;
  }
  // 'close' on the response fires when the client hangs up (or the stream ends).
  res.on('close', () => opened.cancel());
  write({ header: header(opened.revision), ...watchId, created: true });
  opened.start((batch: WatchBatch) => {
    const events = batch.events
      .filter((e) => !(e.type === 'put' ? w.noPut : w.noDelete))
      .map((e) => eventJson(e, w.prevKv));
    if (events.length > 0) write({ header: header(batch.revision), ...watchId, events });
  });
}
