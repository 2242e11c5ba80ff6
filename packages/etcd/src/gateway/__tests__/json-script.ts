/**
 * Test helper: raw JSON gateway requests (unary and streaming) and a per-server masker, so one
 * request script can run against meshraft and a real etcd and the answers compare equal where
 * they should: lease ids (server-chosen) become L1, L2, ... in order of appearance, also inside
 * lock and election keys (`name/<lease hex>`); revisions count from the script's start; tokens,
 * header ids and the text of JSON decoding errors (Go's on etcd) are masked.
 */
export interface Answer {
  readonly status: number;
  readonly text: string;
}

export async function post(base: string, path: string, body: string, token?: string, signal?: AbortSignal): Promise<Answer> {
  const r = await fetch(base + path, { method: 'POST', body, ...(token !== undefined && { headers: { authorization: token } }), ...(signal && { signal }) });
  return { status: r.status, text: await r.text() };
}

/** A streaming answer read line by line; `close()` hangs up. */
export interface JsonStream {
  readonly status: Promise<number>;
  next(): Promise<string>;
  close(): void;
}

export function openStream(base: string, path: string, body: string, token?: string): JsonStream {
  const ac = new AbortController();
  const response = fetch(base + path, { method: 'POST', body, signal: ac.signal, ...(token !== undefined && { headers: { authorization: token } }) });
  let buffered = '';
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const decoder = new TextDecoder();
  // What does not come within 3 s is a visible 'TIMEOUT' (status 0), not a hung test.
  const within = <T>(p: Promise<T>, late: T) => Promise.race([p, new Promise<T>((r) => setTimeout(() => r(late), 3000).unref())]);
  async function next(): Promise<string> {
    reader ??= (await response).body!.getReader();
    for (;;) {
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) {
        const rest = buffered;
        buffered = '';
        return rest === '' ? 'EOF' : rest;
      }
      buffered += decoder.decode(value, { stream: true });
    }
  }
  return {
    status: within(response.then((r) => r.status, () => 0), 0),
    next: () => within(next(), 'TIMEOUT'),
    close: () => ac.abort(),
  };
}

/** Whether `p` is still pending after `ms`. */
export async function pending(p: Promise<unknown>, ms = 300): Promise<boolean> {
  const t = Symbol('pending');
  return (await Promise.race([p.then(() => undefined, () => undefined), new Promise((r) => setTimeout(() => r(t), ms))])) === t;
}

const REVISIONS = new Set(['revision', 'rev', 'create_revision', 'mod_revision', 'compact_revision']);
const LEASES = new Set(['ID', 'lease']);

export class Masker {
  private readonly leases = new Map<string, string>();
  private base = 0;

  /** Revisions are printed relative to `revision` from here on. */
  rebase(revision: string | number): void {
    this.base = Number(revision);
  }

  private lease(id: string): string {
    if (id === '0') return id;
    if (!this.leases.has(id)) this.leases.set(id, `L${this.leases.size + 1}`);
    return this.leases.get(id)!;
  }

  /** A base64 key whose last segment is a known lease in hex: `name/L1`. */
  private key(v: string): string {
    const s = Buffer.from(v, 'base64').toString();
    const m = /^(.*\/)([0-9a-f]+)$/.exec(s);
    if (!m) return v;
    for (const [id, name] of this.leases) if (BigInt(id).toString(16) === m[2]) return `${m[1]}${name}`;
    return v;
  }

  value(v: unknown, name = ''): unknown {
    if (Array.isArray(v)) return v.map((x) => this.value(x, name));
    if (typeof v === 'string') {
      if (REVISIONS.has(name)) return `+${Number(v) - this.base}`;
      if (LEASES.has(name)) return this.lease(v);
      if (name === 'key') return this.key(v);
      if (name === 'token') return 'TOKEN';
      if (name === 'cluster_id' || name === 'member_id' || name === 'raft_term') return 'ID';
      return v;
    }
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    const o = v as Record<string, unknown>;
    // A JSON decoding error's text is Go's on etcd (its code and status are compared).
    const decodeError = o.code === 3 && typeof o.message === 'string' && !o.message.startsWith('etcdserver:');
    for (const [k, x] of Object.entries(o)) out[k] = decodeError && (k === 'error' || k === 'message') ? 'JSON DECODE ERROR' : this.value(x, k);
    return out;
  }

  /** Status and each JSON line, masked. */
  answer(a: Answer): unknown {
    const lines = a.text.split('\n').filter((l) => l !== '');
    return { status: a.status, body: lines.map((l) => this.line(l)) };
  }

  line(l: string): unknown {
    try {
      return this.value(JSON.parse(l));
    } catch {
      return l;
    }
  }
}

export interface Run {
  /** POSTs (with `token` as the Authorization header, if any) and records the masked answer. */
  call(path: string, body: string, token?: string): Promise<unknown>;
  /** Records anything else the script observed. */
  step(what: string, v: unknown): void;
  readonly base: string;
  readonly m: Masker;
  /** `what` made unique to this test (servers may be shared), base64, the same on both servers. */
  name(what: string): string;
}
export type Script = (r: Run) => Promise<void>;

/** Runs `script` against the gateway at `base`; its transcript, revisions counted from the start. */
export async function transcriptOf(base: string, id: number, script: Script): Promise<unknown[]> {
  const m = new Masker();
  const start = JSON.parse((await post(base, '/v3/maintenance/status', '{}')).text) as { header: { revision: string } };
  m.rebase(start.header.revision);
  const transcript: unknown[] = [];
  await script({
    async call(path, body, token) {
      const a = m.answer(await post(base, path, body, token));
      transcript.push([path, a]);
      return a;
    },
    step: (what, v) => transcript.push([what, v]),
    base,
    m,
    name: (what) => Buffer.from(`${what}${id}`).toString('base64'),
  });
  return transcript;
}
