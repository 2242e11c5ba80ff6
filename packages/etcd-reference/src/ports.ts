/**
 * @module ports
 * Loopback ports for etcd members. etcd takes its ports as flags, so they must be chosen before
 * it starts, and nothing can hold them for it: a port is only ever "free a moment ago". Picked
 * below the kernel's ephemeral range, where no outgoing connection and no `listen(0)` of another
 * process is handed one in that moment; the cluster start still retries if one was taken.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The first port of the kernel's ephemeral range (Linux; 32768 elsewhere). */
export function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/** Whether `port` can be listened on at 127.0.0.1 right now. */
export async function canListen(port: number): Promise<boolean> {
  const s = createServer();
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.listen(port, '127.0.0.1', () => r(true));
  });
  if (ok) await new Promise((r) => s.close(r));
  return ok;
}

/** Ports this process handed out already: never twice, so one cluster's members never share one. */
const given = new Set<number>();

/**
 * A port free a moment ago, at random in the 12,000 below the ephemeral range (random, so two
 * processes choosing at once rarely choose the same).
 */
export async function reservedPort(): Promise<number> {
  const high = ephemeralLow();
  const low = Math.max(1024, high - 12_000);
  // Start over once the range is used up (a long-lived process); a reused port is checked anyway.
  if (given.size >= (high - low) / 2) given.clear();
  for (;;) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (given.has(port)) continue;
    given.add(port);
    if (await canListen(port)) return port;
  }
}
