/**
 * @module procs/http
 * The one keep-alive HTTP client the benchmarks use against etcd JSON gateways (meshraft's and
 * etcd's): small, so a Node load loop adds as little as it can.
 */
import { Agent, request } from 'node:http';

export const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

export function post(url: URL, path: string, body: string): Promise<{ status: number; text: string }> {
  return send(url, path, 'POST', body);
}

export function get(url: URL, path: string): Promise<string> {
  return send(url, path, 'GET').then((r) => r.text);
}

function send(url: URL, path: string, method: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-length': Buffer.byteLength(body) };
    const req = request({ agent, host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The member a JSON gateway (meshraft or etcd) names as leader, as its own URL among `urls`. */
export async function findLeader(urls: readonly URL[]): Promise<URL | undefined> {
  for (const u of urls) {
    const s = JSON.parse((await post(u, '/v3/maintenance/status', '{}')).text) as { leader?: string; header?: { member_id?: string } };
    if (s.leader !== undefined && s.leader === s.header?.member_id) return u;
  }
  return undefined;
}
