/**
 * @module grpc/watch-service
 * etcd's Watch service: one bidirectional stream carries many watches. Create (with
 * start_revision replayed from history, prev_kv, NOPUT/NODELETE filters, progress_notify and
 * fragment), cancel and progress requests, as etcd 3.5 answers them. The watches outlive the
 * client's half-close; the call's cancel or lost connection ends them.
 */
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { WatchBatch } from 'meshraft/kv';
import type { KvClient } from '../kv-client.js';
import { openWatch } from '../watch-source.js';
import { eventMsg, header, int, payloadBytes, type Msg } from './messages.js';

export interface WatchServiceOptions {
  /** How often a watch created with progress_notify hears the revision (etcd: 10 minutes). */
  readonly progressIntervalMs: number;
  /** Event batches larger than this are split when the client asked for fragments. */
  readonly maxResponseBytes: number;
}

/** etcd's watch id of responses that belong to no one watch (progress for the whole stream). */
const NO_WATCH = '-1';

const bytesOf = (m: Msg, name: string): Uint8Array => (m[name] instanceof Uint8Array ? (m[name] as Uint8Array) : new Uint8Array(0));

export function createWatchService(kv: KvClient, opts: WatchServiceOptions): UntypedServiceImplementation {
  const h = (revision: number) => header(kv.identity(), revision);
  /** The member's revision, synchronously: a replay past the end is empty but tells it. */
  const revisionNow = () => {
    const r = kv.replay?.({ key: new Uint8Array([0]) }, Number.MAX_SAFE_INTEGER);
    return r?.ok ? r.revision : 0;
  };

  return {
    Watch(call: ServerDuplexStream<Msg, Msg>) {
      const watches = new Map<string, { cancel(): void; timer?: ReturnType<typeof setInterval> }>();
      let nextId = 0;
      const send = (m: Msg) => {
        if (!call.cancelled && !call.destroyed && call.writable) call.write(m);
      };

      function create(c: Msg): void {
        const asked = int(c, 'watch_id');
        const id = String(asked > 0 ? asked : nextId++);
        if (asked > 0) nextId = Math.max(nextId, asked + 1);
        if (watches.has(id)) {
          send({ header: h(revisionNow()), watch_id: id, created: true, canceled: true, cancel_reason: 'etcdserver: duplicate watch ID' });
          return;
        }
        const key = bytesOf(c, 'key');
        const end = bytesOf(c, 'range_end');
        const prevKv = c.prev_kv === true;
        const filters = new Set((c.filters as string[] | undefined) ?? []);
        const opened = openWatch(kv, { key, ...(end.length > 0 && { rangeEnd: end }), startRevision: Math.max(0, int(c, 'start_revision')), prevKv });
        if (opened === null) {
          send({ header: h(0), watch_id: id, created: true, canceled: true, cancel_reason: 'etcdserver: watch is not supported by this member' });
          return;
        }
        if (!opened.ok) {
          // As etcd: created, then canceled with the compaction point so the client can resume.
          send({ header: h(revisionNow()), watch_id: id, created: true });
          send({
            header: h(revisionNow()),
            watch_id: id,
            canceled: true,
            compact_revision: String(opened.compactRevision),
            cancel_reason: 'etcdserver: mvcc: required revision has been compacted',
          });
          return;
        }
        const entry: { cancel(): void; timer?: ReturnType<typeof setInterval> } = { cancel: opened.cancel };
        watches.set(id, entry);
        send({ header: h(opened.revision), watch_id: id, created: true });
        const deliver = (batch: WatchBatch) => {
          const events = batch.events.filter((e) => !filters.has(e.type === 'put' ? 'NOPUT' : 'NODELETE')).map((e) => eventMsg(e, prevKv));
          if (events.length === 0) return;
          if (c.fragment !== true || payloadBytes(events) <= opts.maxResponseBytes) {
            send({ header: h(batch.revision), watch_id: id, events });
            return;
          }
          // Fragments: every part but the last says `fragment`, so the client joins them.
          let part: Msg[] = [];
          let size = 0;
          for (const [i, e] of events.entries()) {
            part.push(e);
            size += payloadBytes(e);
            const last = i === events.length - 1;
            if (size >= opts.maxResponseBytes || last) {
              send({ header: h(batch.revision), watch_id: id, events: part, fragment: !last });
              part = [];
              size = 0;
            }
          }
        };
        opened.start(deliver);
        if (c.progress_notify === true) {
          entry.timer = setInterval(() => send({ header: h(revisionNow()), watch_id: id }), opts.progressIntervalMs);
          entry.timer.unref?.();
        }
      }

      function cancel(c: Msg): void {
        const id = String(int(c, 'watch_id'));
        const w = watches.get(id);
        if (!w) return;
        w.cancel();
        if (w.timer) clearInterval(w.timer);
        watches.delete(id);
        send({ header: h(revisionNow()), watch_id: id, canceled: true });
      }

      call.on('data', (req: Msg) => {
        try {
          switch (req.request_union) {
            case 'create_request':
              create((req.create_request ?? {}) as Msg);
              break;
            case 'cancel_request':
              cancel((req.cancel_request ?? {}) as Msg);
              break;
            case 'progress_request':
              // Every watch on this stream is synced up to the current revision when it is read.
              send({ header: h(revisionNow()), watch_id: NO_WATCH });
              break;
            default:
              break;
          }
        } catch (err) {
          call.destroy(err instanceof Error ? err : new Error(String(err)));
        }
      });
      const close = () => {
        for (const w of watches.values()) {
          w.cancel();
          if (w.timer) clearInterval(w.timer);
        }
        watches.clear();
      };
      // A half-close (the client ends its requests) is no cancel: as etcd's recvLoop, which
      // returns on EOF while the watches keep sending until the call's context is done (a
      // gateway closes its send side and still wants events). Only cancel and close end them.
      call.on('error', close);
      call.on('cancelled', close);
      call.on('close', close);
    },
  };
}
