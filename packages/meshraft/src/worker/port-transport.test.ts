import { MessageChannel } from 'node:worker_threads';
import { createMemoryNetwork, type Transport } from '@meshraft/transport';
import { describeTransportContract } from '@meshraft/transport/testing';
import { describe, expect, it } from 'vitest';
import { BridgeClosedError, BridgeInputError } from './errors.js';
import { exposeTransport } from './expose-transport.js';
import type { BridgePort } from './port.js';
import { connectPortTransport } from './port-transport.js';

/** A memory transport seen through the bridge, as a worker would see the page's transport. */
async function bridged(real: Transport): Promise<Transport> {
  const { port1, port2 } = new MessageChannel();
  exposeTransport(real, port1 as unknown as BridgePort);
  return connectPortTransport(port2 as unknown as BridgePort);
}

// The bridge must keep every promise the real transport makes (order, sizes, up/down, close).
describeTransportContract(
  'port bridge over memory',
  async () => {
    const net = createMemoryNetwork();
    const made: Transport[] = [];
    return {
      async add(peer) {
        const t = await bridged(net.transport(peer));
        made.push(t);
        return t;
      },
      async teardown() {
        await Promise.all(made.map((t) => t.close()));
      },
    };
  },
  { maxFrameBytes: 1 << 20, upStates: ['memory'] },
);

describe('port transport', () => {
  it('rejects a non-port with BRIDGE_INPUT', async () => {
    await expect(connectPortTransport({} as BridgePort)).rejects.toBeInstanceOf(BridgeInputError);
    expect(() => exposeTransport(createMemoryNetwork().transport('a'), null as unknown as BridgePort)).toThrow(BridgeInputError);
  });

  it('rejects with BRIDGE_CLOSED when the page never says hello', async () => {
    const { port1, port2 } = new MessageChannel();
    await expect(connectPortTransport(port2 as unknown as BridgePort, { timeoutMs: 50 })).rejects.toBeInstanceOf(BridgeClosedError);
    port1.close();
  });

  it('ignores foreign messages on the port and closes the real transport with its own close', async () => {
    const net = createMemoryNetwork();
    const real = net.transport('a');
    net.transport('b');
    const { port1, port2 } = new MessageChannel();
    port2.postMessage({ hello: 'app message' });
    const exposed = exposeTransport(real, port1 as unknown as BridgePort);
    const t = await connectPortTransport(port2 as unknown as BridgePort);
    expect(t.self).toBe('a');
    expect(t.links().map((l) => l.peer)).toEqual(['b']);
    await t.close();
    await exposed.closed;
    expect(real.send('b', new Uint8Array([1]))).toBe(false); // closed
  });

  it('keeps the sender buffer intact (frames are copied before transfer)', async () => {
    const net = createMemoryNetwork();
    const a = await bridged(net.transport('a'));
    const b = net.transport('b');
    const got = new Promise<Uint8Array>((resolve) => b.on('frame', (_from, f) => resolve(f)));
    await new Promise((r) => setTimeout(r, 10));
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    expect(a.send('b', backing.subarray(1, 4))).toBe(true);
    expect([...(await got)]).toEqual([1, 2, 3]);
    expect([...backing]).toEqual([9, 1, 2, 3, 9]);
    await a.close();
  });
});
