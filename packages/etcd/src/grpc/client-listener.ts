/**
 * @module grpc/client-listener
 * One port for etcd's gRPC services and the JSON gateway, as etcd serves them: each connection
 * is told apart by its first bytes (the HTTP/2 preface is gRPC, anything else is HTTP/1.1 for
 * the gateway). With TLS, ALPN `h2` goes straight to gRPC. grpc-js takes the connections through
 * its connection injector; the gateway is a node:http server that never listens itself.
 */
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Server as GrpcServer, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { AuthorityRewriter, FrameBoundary, goawayFrame, Http2FrameError } from './h2-authority.js';

export interface ClientTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** CA bundle that client certificates must chain to (etcd's --trusted-ca-file). */
  readonly ca?: Buffer;
  /** Require and verify a client certificate (etcd's --client-cert-auth). */
  readonly clientCertAuth: boolean;
}

export interface ClientListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: ClientTls;
  /** Largest gRPC message accepted; grpc-js answers RESOURCE_EXHAUSTED past it. */
  readonly maxReceiveBytes: number;
  readonly services: ReadonlyArray<readonly [ServiceDefinition, UntypedServiceImplementation]>;
  readonly http: RequestListener;
}

export interface ClientListener {
  readonly url: string;
  readonly port: number;
  /** HTTP/2 connections so far by path: read natively by nghttp2, or through the authority rewrite. */
  readonly h2Connections: { readonly native: number; readonly rewritten: number };
  close(): Promise<void>;
}

/** How long a new HTTP/2 connection may take to send its first header block (chooseH2Path). */
const PROBE_MS = 20;

/** The first bytes of every HTTP/2 connection (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * A socket whose first chunk was already read, as a plain Duplex: http2 reads a net.Socket's
 * native handle directly and would miss bytes put back with unshift, but reads a Duplex as a stream.
 * Client bytes pass through an AuthorityRewriter (etcdctl 3.4's `:authority`, see h2-authority);
 * a malformed client frame ends the connection with a GOAWAY, written between server frames.
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const rewriter = new AuthorityRewriter();
  const outgoing = new FrameBoundary();
  let failed: Http2FrameError | undefined;
  const fail = (err: Http2FrameError) => {
    failed = err;
    socket.pause();
    if (outgoing.atBoundary) closeWithGoaway();
  };
  const closeWithGoaway = () => {
    socket.end(goawayFrame(rewriter.lastStream, failed!.code));
    setTimeout(() => socket.destroy(), 2000).unref();
    // http2 would go on writing into a socket that is closing: stop it without an error event.
    d.destroy();
  };
  const forward = (chunk: Buffer): boolean => {
    if (failed) return true;
    let parts: Buffer[];
    try {
      parts = rewriter.push(chunk);
    } catch (e) {
      if (!(e instanceof Http2FrameError)) throw e;
      fail(e);
      return true;
    }
    let more = true;
    for (const p of parts) more = d.push(p) && more;
    return more;
  };
  // Acknowledge at once unless the socket pushes back: waiting for every flush would make
  // HTTP/2's many small frames go out one round of the event loop at a time.
  const send = (chunk: Buffer, cb: () => void): void => {
    if (failed && outgoing.atBoundary) return cb();
    outgoing.feed(chunk);
    const flushed = socket.write(chunk);
    if (failed && outgoing.atBoundary) {
      closeWithGoaway();
      return cb();
    }
    if (flushed) cb();
    else socket.once('drain', () => cb());
  };
  const d = new Duplex({
    read() {
      if (!failed) socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      send(chunk, cb);
    },
    // nghttp2 hands over each round of frames at once: one socket write (one syscall) for them all.
    writev(chunks, cb) {
      send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk as Buffer)), cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      if (!failed) socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  if (first.length > 0) forward(first);
  socket.on('data', (c: Buffer) => {
    if (!forward(c)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (e) => d.destroy(e));
  socket.on('close', () => d.destroy());
  return d;
}

export async function listenClients(opts: ClientListenerOptions): Promise<ClientListener> {
  const grpc = new GrpcServer({
    'grpc.max_receive_message_length': opts.maxReceiveBytes,
    'grpc.max_send_message_length': -1,
  });
  for (const [def, impl] of opts.services) grpc.addService(def, impl);
  const injector = grpc.createConnectionInjector(ServerCredentials.createInsecure());
  const http = createHttpServer(opts.http);
  // Keep idle keep-alive sockets longer than Node's 5 s default: a client reusing one just as the
  // server closes it sees a reset, which an etcd client reports as a failed request.
  http.keepAliveTimeout = 30_000;
  const sockets = new Set<Socket>();
  const h2Connections = { native: 0, rewritten: 0 };

  function route(socket: Socket): void {
    sockets.add(socket);
    // Small gRPC frames must not wait on Nagle + delayed ACK (~40 ms a request); http2 cannot set
    // this itself on a socket it only sees through the replaying Duplex.
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if ((socket as TLSSocket).alpnProtocol === 'h2') {
      chooseH2Path(socket, Buffer.alloc(0));
      return;
    }
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const h2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2 && seen.length < PREFACE.length) return; // undecided: wait for more
      socket.off('data', onData);
      socket.pause();
      if (h2) {
        chooseH2Path(socket, seen);
      } else {
        socket.unshift(seen);
        http.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  }

  /**
   * Reads up to the connection's first header block. A clean `:authority` (every client but
   * etcdctl 3.4) hands the socket itself to HTTP/2 with those bytes put back, so nghttp2 reads it
   * natively; `passthrough:///…` (etcdctl 3.4), malformed frames, or no header block within
   * PROBE_MS (clients that wait for the server's SETTINGS first, as grpc-go does) take the
   * rewriting Duplex. A client is assumed to keep one authority per connection, as gRPC does.
   */
  function chooseH2Path(socket: Socket, first: Buffer): void {
    const probe = new AuthorityRewriter();
    const seen = [first];
    let decided = false;
    const decide = (native: boolean): void => {
      decided = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      const bytes = Buffer.concat(seen);
      h2Connections[native ? 'native' : 'rewritten']++;
      if (native) {
        socket.unshift(bytes);
        injector.injectConnection(socket);
      } else {
        injector.injectConnection(replaying(socket, bytes));
      }
    };
    const check = (chunk: Buffer): void => {
      try {
        probe.push(chunk);
      } catch {
        decide(false); // the rewriting path answers malformed frames with a GOAWAY
        return;
      }
      if (probe.firstAuthority !== undefined) decide(!probe.firstAuthority.includes('/'));
    };
    const onData = (chunk: Buffer): void => {
      seen.push(chunk);
      check(chunk);
    };
    const timer = setTimeout(() => {
      if (!decided) decide(false);
    }, PROBE_MS);
    if (first.length > 0) check(first);
    if (decided) return;
    socket.on('data', onData);
    socket.resume();
  }

  const tls = opts.tls;
  const server: Server = tls
    ? createTlsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca && { ca: tls.ca }),
          requestCert: tls.clientCertAuth,
          rejectUnauthorized: tls.clientCertAuth,
          ALPNProtocols: ['h2', 'http/1.1'],
        },
        route,
      )
    : createNetServer(route);
  if (tls) server.on('tlsClientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    h2Connections,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        injector.drain(0);
        injector.destroy();
        grpc.forceShutdown();
        http.closeAllConnections();
        for (const s of sockets) s.destroy();
        await closed;
      })()),
  };
}
