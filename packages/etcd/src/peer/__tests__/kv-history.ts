/**
 * Test helper: put / get / CAS over the etcd gateway, recorded as a history for the
 * linearizability checker. Anything but a 200 (an error status, a refused connection, a timeout)
 * is indeterminate: the operation may or may not have taken effect.
 */
import type { KvInput, KvOperation, KvOutput } from '@meshraft/sim';
import { b64, unb64 } from './peer-process.js';

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

  /** Runs one operation against `url` and records it; resolves with the output, or undefined when indeterminate. */
  async run(clientId: number, url: string, input: KvInput): Promise<KvOutput | undefined> {
    const { path, json } = body(input);
    const callTime = performance.now() - this.t0;
    let out: KvOutput | undefined;
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
