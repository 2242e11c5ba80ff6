/**
 * @module signaling-client
 * Client of the meshraft signaling server, for browsers and Node. It joins one room as one peer,
 * tracks presence, sends/receives opaque signals (SDP/ICE for the WebRTC transport) and relayed
 * binary frames (the relay transport), and keeps itself connected: exponential backoff with
 * jitter, re-join after reconnect, failover across several URLs, a reconnect attempt on the
 * browser's `online` event, and bounded queues while disconnected.
 *
 * With a room `secret`, every signal and frame is sealed end to end (see room-crypto.ts); messages
 * that fail authentication are dropped, counted in `stats().authFailures` and reported on `error`;
 * a sealed message that opens but was seen before (a replay) is dropped, counted in
 * `stats().replaysDropped` and reported as ReplayedMessageError (see replay-window.ts).
 */
import {
  CLOSE_CODES,
  SIGNALING_PROTOCOL_VERSION,
  decodeRelayFrame,
  encodeRelayFrame,
  parseServerMessage,
  type ClientMessage,
  type PeerId,
  type ServerLimitsInfo,
  type ServerMessage,
} from '@meshraft/signaling-server/protocol';
import { createPlatformWebSocket } from '#platform/websocket';
import { Backoff } from '../backoff.js';
import { Emitter } from '../emitter.js';
import { every, realScheduler, type Scheduler, type TimerHandle } from '../scheduler.js';
import { AuthenticationError, MalformedFrameError, ReplayedMessageError, SignalingClosedError, SignalingError } from '../errors.js';
import { RoomRecordState } from '../room-record.js';
import { ReplayWindow } from './replay-window.js';
import { createRoomCipher, fromBase64, toBase64, type OpenedMessage, type RoomCipher, type SealedKind } from './room-crypto.js';
import { WS_OPEN, type WebSocketFactory, type WebSocketLike } from './websocket.js';

export type SignalingStatus = 'connecting' | 'joined' | 'disconnected' | 'closed';

export interface SignalingClientEvents {
  status: (status: SignalingStatus) => void;
  /** Joined (or re-joined) the room; `peers` are the other members. */
  joined: (peers: readonly PeerId[]) => void;
  'peer-joined': (peer: PeerId) => void;
  'peer-left': (peer: PeerId) => void;
  /** A signal payload from a peer (already decrypted when the room has a secret). */
  signal: (from: PeerId, payload: unknown) => void;
  /** A relayed binary frame from a peer (already decrypted when the room has a secret). */
  frame: (from: PeerId, payload: Uint8Array) => void;
  /** Non-fatal problems: server error messages, failed authentication, malformed input. */
  error: (err: Error) => void;
}

export interface SignalingClientOptions {
  /** One URL or several for failover, e.g. `ws://host:port/signal`. */
  readonly urls: string | readonly string[];
  /** Room = cluster name. */
  readonly room: string;
  readonly peer: PeerId;
  /** Access token, when the server requires one. */
  readonly token?: string;
  /** Room secret: enables end-to-end encryption and authentication of signals and frames. */
  readonly secret?: string | Uint8Array;
  /** Random source in [0, 1) for backoff jitter and the session id (inject a seeded one in tests). */
  readonly random?: () => number;
  /** Reconnect backoff: delay = min(maxMs, initialMs * 2^attempt), jittered to 50..100%. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Messages kept while disconnected (or awaiting encryption); beyond it sends return false. */
  readonly maxQueue?: number;
  /** Socket buffer above which sendFrame returns false (backpressure). Default 8 MiB. */
  readonly maxBufferedBytes?: number;
  /** Application ping period; the link is considered dead after 3 periods of silence. */
  readonly pingIntervalMs?: number;
  /** Give up on a connection attempt not joined after this long (default 10 s): next URL. */
  readonly connectTimeoutMs?: number;
  /** WebSocket factory (default: platform WebSocket). */
  readonly webSocket?: WebSocketFactory;
  /** Connect immediately (default true). */
  readonly autoConnect?: boolean;
  /** Timers and clock (default: real ones); inject a fake one to drive reconnects in tests. */
  readonly scheduler?: Scheduler;
}

export interface SignalingClientStats {
  readonly connects: number;
  readonly reconnectAttempts: number;
  readonly signalsSent: number;
  readonly signalsReceived: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Messages dropped because the bounded queue was full. */
  readonly queueDrops: number;
  /** Signals/frames dropped because they failed end-to-end authentication. */
  readonly authFailures: number;
  /** Sealed signals/frames dropped because they were replays (seen before, or of an older epoch). */
  readonly replaysDropped: number;
  /** Server messages that were not valid protocol messages. */
  readonly malformed: number;
}

export interface SignalingClient {
  readonly self: PeerId;
  readonly room: string;
  status(): SignalingStatus;
  /** Other members of the room as last seen (kept while reconnecting). */
  peers(): PeerId[];
  /** Limits the server announced on join, or null before the first join. */
  limits(): ServerLimitsInfo | null;
  on<E extends keyof SignalingClientEvents>(event: E, listener: SignalingClientEvents[E]): () => void;
  /** Send a JSON-serialisable payload to `to`. False when dropped (unknown peer, queue full, closed). */
  sendSignal(to: PeerId, payload: unknown): boolean;
  /** Relay binary bytes to `to`. False when dropped (unknown peer, queue full, backpressure, closed). */
  sendFrame(to: PeerId, payload: Uint8Array): boolean;
  /** Bytes accepted but not yet sent (being sealed, queued, or in the socket buffer): pace bulk sends on it. */
  bufferedAmount(): number;
  /** Start connecting (only needed with `autoConnect: false`). */
  connect(): void;
  /** Drop the current connection and reconnect at once (e.g. after network change). */
  reconnect(): void;
  /** Resolves when joined (immediately if already joined); rejects if closed first. */
  whenJoined(): Promise<void>;
  /**
   * The room's recorded cluster id (room-record.ts): learned on join and from `cluster` messages;
   * an id announced here is re-announced after every re-join (a restarted server learns it again).
   */
  readonly clusterRecord: RoomRecordState;
  stats(): SignalingClientStats;
  close(): Promise<void>;
}

/** `size` = the caller's payload size, counted in `bufferedAmount()` until it is on the socket. */
type Outgoing =
  | { readonly kind: 'signal'; readonly to: PeerId; readonly data: string; readonly size: number }
  | { readonly kind: 'frame'; readonly to: PeerId; readonly data: Uint8Array; readonly size: number };

type MutableStats = { -readonly [K in keyof SignalingClientStats]: SignalingClientStats[K] };

const SEALED_KEY = 'sealed';

export function createSignalingClient(options: SignalingClientOptions): SignalingClient {
  return new SignalingClientImpl(options);
}

class SignalingClientImpl implements SignalingClient {
  readonly self: PeerId;
  readonly room: string;
  readonly clusterRecord = new RoomRecordState((id) => this.#sendCluster(id));
  readonly #urls: readonly string[];
  readonly #opts: SignalingClientOptions;
  readonly #random: () => number;
  readonly #factory: WebSocketFactory;
  readonly #maxQueue: number;
  readonly #maxBuffered: number;
  readonly #pingMs: number;
  readonly #session: string;
  readonly #events = new Emitter<SignalingClientEvents>();
  readonly #stats: MutableStats = {
    connects: 0, reconnectAttempts: 0, signalsSent: 0, signalsReceived: 0, framesSent: 0,
    framesReceived: 0, bytesSent: 0, bytesReceived: 0, queueDrops: 0, authFailures: 0, replaysDropped: 0, malformed: 0,
  };

  #status: SignalingStatus = 'disconnected';
  #socket: WebSocketLike | null = null;
  #urlIndex = 0;
  readonly #backoff: Backoff;
  #peers = new Set<PeerId>();
  #limits: ServerLimitsInfo | null = null;
  #queue: Outgoing[] = [];
  /** Messages accepted but not yet on the wire (queued or being sealed). */
  #pending = 0;
  #pendingBytes = 0;
  #cipher: Promise<RoomCipher> | null;
  /** Sequence windows of the senders of sealed messages, shared by signals and frames. */
  readonly #replay = new ReplayWindow();
  #outChain: Promise<void> = Promise.resolve();
  #inChain: Promise<void> = Promise.resolve();
  readonly #scheduler: Scheduler;
  #reconnectTimer: TimerHandle | null = null;
  #stopPingTimer: (() => void) | null = null;
  #connectTimer: TimerHandle | null = null;
  #lastHeard = 0;
  #pingId = 0;
  #joinWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  #closedPromise: Promise<void> | null = null;
  readonly #onOnline = (): void => {
    if (this.#status === 'disconnected') this.#connectNow();
  };

  constructor(options: SignalingClientOptions) {
    this.#opts = options;
    this.self = options.peer;
    this.room = options.room;
    this.#urls = typeof options.urls === 'string' ? [options.urls] : [...options.urls];
    if (this.#urls.length === 0) throw new RangeError('signaling client needs at least one URL');
    this.#random = options.random ?? Math.random;
    // Jittered to 50..100% of min(maxMs, initialMs * 2^attempt).
    this.#backoff = new Backoff({ initialMs: options.backoff?.initialMs ?? 250, maxMs: options.backoff?.maxMs ?? 10_000, random: this.#random });
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#factory = options.webSocket ?? createPlatformWebSocket;
    this.#maxQueue = options.maxQueue ?? 1024;
    this.#maxBuffered = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.#pingMs = options.pingIntervalMs ?? 10_000;
    // Not from `random`: two clients seeded alike must still get different sessions.
    this.#session = Array.from(globalThis.crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36)).join('');
    this.#cipher = options.secret !== undefined ? createRoomCipher(options.secret, options.room) : null;
    // No WebCrypto (e.g. a browser page on plain http): report once; every send then fails too.
    this.#cipher?.catch((err: unknown) => this.#reportError(err));
    const g = globalThis as { addEventListener?: (type: string, fn: () => void) => void };
    if (typeof g.addEventListener === 'function') g.addEventListener('online', this.#onOnline);
    if (options.autoConnect !== false) this.connect();
  }

  status(): SignalingStatus {
    return this.#status;
  }

  peers(): PeerId[] {
    return [...this.#peers];
  }

  limits(): ServerLimitsInfo | null {
    return this.#limits;
  }

  on<E extends keyof SignalingClientEvents>(event: E, listener: SignalingClientEvents[E]): () => void {
    return this.#events.on(event, listener);
  }

  stats(): SignalingClientStats {
    return { ...this.#stats };
  }

  bufferedAmount(): number {
    return (this.#socket?.bufferedAmount ?? 0) + this.#pendingBytes;
  }

  whenJoined(): Promise<void> {
    if (this.#status === 'joined') return Promise.resolve();
    if (this.#status === 'closed') return Promise.reject(new SignalingClosedError());
    return new Promise((resolve, reject) => this.#joinWaiters.push({ resolve, reject }));
  }

  connect(): void {
    if (this.#status === 'disconnected' && !this.#socket) this.#connectNow();
  }

  reconnect(): void {
    if (this.#status === 'closed') return;
    if (this.#socket) this.#socket.close(CLOSE_CODES.normal, 'reconnect');
    else this.#connectNow();
  }

  sendSignal(to: PeerId, payload: unknown): boolean {
    if (!this.#admit(to)) return false;
    let data: string;
    try {
      data = JSON.stringify(payload);
    } catch (cause) {
      this.#reportError(new MalformedFrameError('signal payload is not JSON-serialisable', { cause }));
      return false;
    }
    this.#enqueue({ kind: 'signal', to, data, size: data.length });
    return true;
  }

  sendFrame(to: PeerId, payload: Uint8Array): boolean {
    if (!this.#admit(to)) return false;
    // Also bounds memory while disconnected: the count limit alone would allow maxQueue huge frames.
    if (this.bufferedAmount() + payload.length > this.#maxBuffered) return false;
    this.#enqueue({ kind: 'frame', to, data: payload, size: payload.length });
    return true;
  }

  close(): Promise<void> {
    if (this.#closedPromise) return this.#closedPromise;
    this.#setStatus('closed');
    const g = globalThis as { removeEventListener?: (type: string, fn: () => void) => void };
    if (typeof g.removeEventListener === 'function') g.removeEventListener('online', this.#onOnline);
    this.#clearTimers();
    this.#queue = [];
    for (const w of this.#joinWaiters.splice(0)) w.reject(new SignalingClosedError());
    const socket = this.#socket;
    this.#socket = null;
    this.#closedPromise = new Promise<void>((resolve) => {
      if (!socket || socket.readyState > WS_OPEN) return resolve();
      const done = this.#scheduler.setTimeout(resolve, 1000);
      socket.onclose = () => {
        this.#scheduler.clearTimeout(done);
        resolve();
      };
      socket.onmessage = null;
      try {
        if (socket.readyState === WS_OPEN) socket.send(JSON.stringify({ type: 'leave' } satisfies ClientMessage));
        socket.close(CLOSE_CODES.normal, 'client closed');
      } catch {
        resolve();
      }
    });
    return this.#closedPromise;
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Shared admission checks for signals and frames. */
  #admit(to: PeerId): boolean {
    if (this.#status === 'closed') return false;
    // While joined the presence list is current; while reconnecting it may be stale, so queue.
    if (this.#status === 'joined' && !this.#peers.has(to)) return false;
    if (this.#pending >= this.#maxQueue) {
      this.#stats.queueDrops++;
      return false;
    }
    return true;
  }

  #enqueue(msg: Outgoing): void {
    this.#pending++;
    this.#pendingBytes += msg.size;
    const cipher = this.#cipher;
    if (!cipher) {
      this.#transmitOrQueue(msg);
      return;
    }
    // Seal at once (WebCrypto may run several in parallel) but transmit in send order.
    const sealed: Promise<Outgoing> = cipher.then(async (c) => msg.kind === 'signal'
      ? {
        kind: 'signal', to: msg.to, size: msg.size,
        data: JSON.stringify({ [SEALED_KEY]: toBase64(await c.seal('signal', this.self, msg.to, new TextEncoder().encode(msg.data))) }),
      }
      : { kind: 'frame', to: msg.to, size: msg.size, data: await c.seal('frame', this.self, msg.to, msg.data) });
    sealed.catch(() => {}); // handled on the chain below
    this.#outChain = this.#outChain.then(() => sealed).then(
      (out) => this.#transmitOrQueue(out),
      (err: unknown) => {
        this.#release(msg);
        this.#reportError(err);
      },
    );
  }

  #transmitOrQueue(msg: Outgoing): void {
    if (this.#status === 'closed') return;
    if (this.#status === 'joined' && this.#socket?.readyState === WS_OPEN && this.#queue.length === 0) {
      this.#transmit(this.#socket, msg);
    } else {
      this.#queue.push(msg);
    }
  }

  #release(msg: Outgoing): void {
    this.#pending--;
    this.#pendingBytes -= msg.size;
  }

  #transmit(socket: WebSocketLike, msg: Outgoing): void {
    this.#release(msg);
    if (msg.kind === 'signal') {
      const text = `{"type":"signal","to":${JSON.stringify(msg.to)},"payload":${msg.data}}`;
      socket.send(text);
      this.#stats.signalsSent++;
      this.#stats.bytesSent += text.length;
    } else {
      const bytes = encodeRelayFrame(msg.to, msg.data);
      socket.send(bytes);
      this.#stats.framesSent++;
      this.#stats.bytesSent += bytes.length;
    }
  }

  #flushQueue(): void {
    const socket = this.#socket;
    if (!socket) return;
    const queue = this.#queue;
    this.#queue = [];
    for (const msg of queue) {
      // Peers that left while we were away are dropped rather than bounced by the server.
      if (!this.#peers.has(msg.to)) {
        this.#release(msg);
        continue;
      }
      this.#transmit(socket, msg);
    }
  }

  // ---- connection ---------------------------------------------------------------------------

  #connectNow(): void {
    if (this.#status === 'closed') return;
    if (this.#reconnectTimer !== null) this.#scheduler.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const url = this.#urls[this.#urlIndex % this.#urls.length]!;
    this.#setStatus('connecting');
    let socket: WebSocketLike;
    try {
      socket = this.#factory(url);
    } catch (err) {
      this.#reportError(err);
      this.#onSocketGone(null, false);
      return;
    }
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    let joined = false;
    // A blackholed SYN or a server that never answers the join would otherwise hang here.
    this.#connectTimer = this.#scheduler.setTimeout(() => {
      this.#connectTimer = null;
      if (this.#socket !== socket || joined) return;
      socket.close(CLOSE_CODES.timeout, 'connect timeout');
      this.#onSocketGone(socket, false);
    }, this.#opts.connectTimeoutMs ?? 10_000);
    socket.onopen = () => {
      this.#lastHeard = this.#scheduler.now();
      const join: ClientMessage = {
        type: 'join', room: this.room, peer: this.self, session: this.#session, version: SIGNALING_PROTOCOL_VERSION,
        ...(this.#opts.token !== undefined ? { token: this.#opts.token } : {}),
      };
      socket.send(JSON.stringify(join));
      this.#startPing(socket);
    };
    socket.onmessage = (ev) => {
      if (this.#socket !== socket) return;
      this.#lastHeard = this.#scheduler.now();
      if (typeof ev.data === 'string') {
        const msg = this.#parse(ev.data);
        if (msg?.type === 'joined') joined = true;
        if (msg) this.#onControl(msg);
      } else if (ev.data instanceof ArrayBuffer) {
        this.#onBinary(new Uint8Array(ev.data));
      } else if (ev.data instanceof Uint8Array) {
        this.#onBinary(ev.data);
      } else {
        this.#stats.malformed++;
      }
    };
    socket.onerror = () => {
      // onclose always follows; errors carry no useful detail in browsers.
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#onSocketGone(socket, joined);
    };
  }

  #onSocketGone(socket: WebSocketLike | null, wasJoined: boolean): void {
    if (this.#socket !== socket) return; // already handled (liveness close + onclose)
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      // Keep an error listener: `ws` emits 'error' after an aborted handshake, and an
      // EventEmitter without one would throw.
      socket.onerror = () => {};
    }
    this.#socket = null;
    this.#stopPing();
    this.#clearConnectTimer();
    if (this.#status === 'closed') return;
    // A URL that never got us joined is skipped next time (failover); a joined one is retried first.
    if (!wasJoined) this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    this.#setStatus('disconnected');
    const jittered = this.#backoff.next();
    this.#stats.reconnectAttempts++;
    if (this.#reconnectTimer !== null) this.#scheduler.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = this.#scheduler.setTimeout(() => this.#connectNow(), jittered);
  }

  #startPing(socket: WebSocketLike): void {
    this.#stopPing();
    this.#stopPingTimer = every(this.#scheduler, this.#pingMs, () => {
      if (this.#socket !== socket) return;
      if (this.#scheduler.now() - this.#lastHeard > 3 * this.#pingMs) {
        // Silent for too long: the server or the path is dead even if TCP has not noticed.
        socket.close(CLOSE_CODES.timeout, 'liveness timeout');
        this.#onSocketGone(socket, this.#status === 'joined');
        return;
      }
      if (socket.readyState === WS_OPEN) socket.send(JSON.stringify({ type: 'ping', id: ++this.#pingId }));
    });
  }

  #stopPing(): void {
    this.#stopPingTimer?.();
    this.#stopPingTimer = null;
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== null) this.#scheduler.clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
  }

  #clearTimers(): void {
    this.#clearConnectTimer();
    this.#stopPing();
    if (this.#reconnectTimer !== null) this.#scheduler.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
  }

  #setStatus(status: SignalingStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#events.emit('status', status);
  }

  // ---- receiving ----------------------------------------------------------------------------

  #parse(text: string): ServerMessage | null {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const msg = parseServerMessage(value);
    if (!msg) {
      this.#stats.malformed++;
      this.#reportError(new MalformedFrameError('invalid signaling server message'));
    }
    return msg;
  }

  #onControl(msg: ServerMessage): void {
    switch (msg.type) {
      case 'joined': {
        this.#clearConnectTimer();
        this.#backoff.reset();
        this.#stats.connects++;
        this.#limits = msg.limits;
        const next = new Set(msg.peers);
        const before = this.#peers;
        this.#peers = next;
        this.#setStatus('joined');
        // After a reconnect, report only what changed while we were away.
        for (const p of before) if (!next.has(p)) this.#events.emit('peer-left', p);
        for (const p of next) if (!before.has(p)) this.#events.emit('peer-joined', p);
        this.#events.emit('joined', [...next]);
        for (const w of this.#joinWaiters.splice(0)) w.resolve();
        this.#flushQueue();
        // Announced before the record is told: a node that finds itself forked by it withdraws,
        // and the server should still hear (and report) the other id.
        const mine = this.clusterRecord.lastAnnounced();
        if (mine !== undefined && msg.cluster !== undefined) this.#sendCluster(mine);
        // Absent: a server that keeps no records; null: nothing recorded yet (an announce will be).
        this.clusterRecord.set(msg.cluster === undefined ? null : (msg.cluster ?? undefined));
        return;
      }
      case 'cluster':
        this.clusterRecord.set(msg.id, msg.conflict);
        return;
      case 'peer-joined':
        if (msg.peer === this.self || this.#peers.has(msg.peer)) return;
        this.#peers.add(msg.peer);
        this.#events.emit('peer-joined', msg.peer);
        return;
      case 'peer-left':
        if (this.#peers.delete(msg.peer)) this.#events.emit('peer-left', msg.peer);
        return;
      case 'signal':
        this.#stats.signalsReceived++;
        this.#onSignal(msg.from, msg.payload);
        return;
      case 'pong':
        return;
      case 'error':
        this.#reportError(new SignalingError(msg.code, msg.message, msg.peer));
        return;
    }
  }

  /** Announces this client's cluster id now if joined; else the next join does (see 'joined'). */
  #sendCluster(id: string): void {
    const socket = this.#socket;
    if (this.#status !== 'joined' || socket?.readyState !== WS_OPEN) return;
    socket.send(JSON.stringify({ type: 'cluster', id } satisfies ClientMessage));
  }

  #onSignal(from: PeerId, payload: unknown): void {
    const cipher = this.#cipher;
    if (!cipher) {
      this.#events.emit('signal', from, payload);
      return;
    }
    const sealed = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[SEALED_KEY] : undefined;
    let opened: Promise<OpenedMessage>;
    if (typeof sealed !== 'string') {
      opened = Promise.reject('unsealed signal');
    } else {
      let bytes: Uint8Array | null = null;
      try {
        bytes = fromBase64(sealed);
      } catch {
        // reported below
      }
      opened = bytes === null
        ? Promise.reject('bad base64')
        : cipher.then((c) => c.open('signal', from, this.self, bytes));
    }
    this.#deliverInOrder('signal', from, opened, (plain) => {
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder().decode(plain));
      } catch (cause) {
        this.#authFailed(from, 'signal', cause);
        return;
      }
      this.#events.emit('signal', from, value);
    });
  }

  #onBinary(bytes: Uint8Array): void {
    const frame = decodeRelayFrame(bytes);
    if (!frame) {
      this.#stats.malformed++;
      this.#reportError(new MalformedFrameError('invalid relay frame header'));
      return;
    }
    this.#stats.framesReceived++;
    this.#stats.bytesReceived += bytes.length;
    const cipher = this.#cipher;
    if (!cipher) {
      this.#events.emit('frame', frame.peer, frame.payload);
      return;
    }
    const opened = cipher.then((c) => c.open('frame', frame.peer, this.self, frame.payload));
    this.#deliverInOrder('frame', frame.peer, opened, (plain) => this.#events.emit('frame', frame.peer, plain));
  }

  /**
   * Openings run in parallel; deliveries keep arrival order, and so does the replay check (a
   * window moved out of order would drop fresh messages). Failures are counted, never thrown.
   */
  #deliverInOrder(kind: SealedKind, from: PeerId, opened: Promise<OpenedMessage>, deliver: (plain: Uint8Array) => void): void {
    opened.catch(() => {}); // handled on the chain below
    this.#inChain = this.#inChain.then(() => opened).then(
      (msg) => {
        if (this.#status === 'closed') return;
        if (this.#replay.accept(from, msg.epoch, msg.seq) === 'replay') {
          this.#stats.replaysDropped++;
          this.#reportError(new ReplayedMessageError(from, kind, msg.epoch, msg.seq));
          return;
        }
        deliver(msg.plaintext);
      },
      (err: unknown) => {
        if (this.#status !== 'closed') this.#authFailed(from, kind, err);
      },
    );
  }

  #authFailed(from: PeerId, kind: SealedKind, cause: unknown): void {
    this.#stats.authFailures++;
    // A string cause means the message was not even sealed (e.g. a peer without the secret).
    const err = cause instanceof AuthenticationError
      ? cause
      : typeof cause === 'string'
        ? new AuthenticationError(from, { cause: new Error(`${kind}: ${cause}`) })
        : new MalformedFrameError(`${kind} from "${from}" could not be decoded after opening`, { cause });
    this.#reportError(err);
  }

  #reportError(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    // Without listeners an error event would be lost silently; that is fine: it is also counted.
    if (this.#events.listenerCount('error') > 0) this.#events.emit('error', e);
  }
}
