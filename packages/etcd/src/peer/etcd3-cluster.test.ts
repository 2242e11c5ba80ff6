/**
 * The `etcd3` npm client over gRPC against three `meshraft peer` processes, in plain text and
 * with TLS (server certificate plus required client certificates, made here with openssl):
 * KV, txn, history, compaction, watch (live and replayed, through another member), maintenance.
 * The JSON gateway answers on the same TLS port.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Etcd3, type IOptions } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, killAll, post, startPeer, startSignaling, tempDirs, type PeerProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

interface Certs {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, with the openssl CLI. */
function makeCerts(dir: string): Certs {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=meshraft test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'root', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    execFileSync('sh', ['-c', `printf '${ext}\\n' > ${f(`${name}.ext`)}`]);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}


async function cluster(name: string, extra: readonly string[]): Promise<PeerProcess[]> {
  const { url: signaling } = await startSignaling();
  return Promise.all(
    ['a', 'b', 'c'].map(async (id) =>
      startPeer(['--cluster', name, '--signaling', signaling, '--data', await dirs.make(), '--id', id, '--tick-ms', '50', ...(id === 'a' ? ['--bootstrap'] : []), ...extra]),
    ),
  );
}

/** The same client scenario for both clusters. */
async function scenario(peers: PeerProcess[], options: Omit<IOptions, 'hosts'>, hostOf: (p: PeerProcess) => string): Promise<void> {
  const clients = peers.map((p) => new Etcd3({ ...options, hosts: hostOf(p), dialTimeout: 10_000 }));
  const [a, b, c] = clients as [Etcd3, Etcd3, Etcd3];
  try {
    await eventually('three voters', async () => {
      const list = await a.cluster.memberList({});
      return list.members.length === 3 && list.members.every((m) => !m.isLearner) ? true : undefined;
    });
    // Every member lists every member's published name and client URL, and a peer URL.
    for (const cl of clients) {
      await eventually('published member attributes', async () => {
        const list = (await cl.cluster.memberList({})).members;
        const shown = list.map((m) => `${m.name} ${m.clientURLs.join()} ${m.peerURLs.length}`).sort();
        return shown.join('|') === peers.map((p, i) => `${'abc'[i]} ${p.url} 1`).join('|') ? true : undefined;
      });
    }
    const first = await b.put('k/1').value('one').exec();
    await c.put('k/2').value('two');
    await a.put('k/1').value('uno');
    expect(await a.getAll().prefix('k/').strings()).toEqual({ 'k/1': 'uno', 'k/2': 'two' });
    // History: the first value at its revision, through another member.
    expect(await c.get('k/1').revision(first.header.revision).string()).toBe('one');
    // Txn through a follower.
    const t = await b.if('k/2', 'Value', '==', 'two').then(b.put('k/3').value('three')).commit();
    expect(t.succeeded).toBe(true);

    // Watch on c from the first revision: replayed history, then a live event written through a.
    const seen: string[] = [];
    const w = await c.watch().prefix('k/').startRevision(first.header.revision).create();
    w.on('put', (kv) => seen.push(`${kv.key.toString()}=${kv.value.toString()}@${kv.mod_revision}`));
    const live = await a.put('k/4').value('four').exec();
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBe(5);
    const revs = seen.map((s) => Number(s.split('@')[1]));
    expect(revs).toEqual([...revs].sort((x, y) => x - y));
    expect(seen[0]).toBe(`k/1=one@${first.header.revision}`);
    expect(seen[4]).toBe(`k/4=four@${live.header.revision}`);
    await w.cancel();

    // Compaction through one member is seen by all.
    await b.kv.compact({ revision: live.header.revision });
    for (const cl of clients) await expect(cl.get('k/1').revision(first.header.revision).string()).rejects.toThrow(/required revision has been compacted/);

    // Maintenance: every member names the same leader; Hash agrees once all have applied the same
    // revision (etcd3 1.1.2 has no HashKV method; HashKV is the same hash at a given revision).
    const statuses = await Promise.all(clients.map((cl) => cl.maintenance.status()));
    expect(new Set(statuses.map((s) => s.leader)).size).toBe(1);
    await eventually('members applied the same revision', async () => {
      const hashes = await Promise.all(clients.map((cl) => cl.maintenance.hash({})));
      return new Set(hashes.map((h) => `${h.header.revision}/${h.hash}`)).size === 1 ? true : undefined;
    });
  } finally {
    for (const cl of clients) cl.close();
  }
}

describe('etcd3 npm client against three peers', () => {
  it('plain gRPC', async () => {
    const peers = await cluster('grpc-plain', []);
    await scenario(peers, {}, (p) => p.url.replace('http://', ''));
  });

  it('gRPC and the JSON gateway over TLS with client certificates (etcd flags)', async () => {
    const certs = makeCerts(await dirs.make());
    const peers = await cluster('grpc-tls', [
      '--listen-client-urls', 'https://127.0.0.1:0',
      '--cert-file', certs.serverCert, '--key-file', certs.serverKey,
      '--trusted-ca-file', certs.ca, '--client-cert-auth',
    ]);
    expect(peers[0]!.url).toMatch(/^https:\/\//);
    const credentials = {
      rootCertificate: readFileSync(certs.ca),
      certChain: readFileSync(certs.clientCert),
      privateKey: readFileSync(certs.clientKey),
    };
    await scenario(peers, { credentials }, (p) => p.url);

    // etcdctl 3.4 over TLS: endpoint status and move-leader (its passthrough:///https://… :authority
    // is rewritten before Node's HTTP/2 sees it, see h2-authority.ts).
    const ctl = async (...args: string[]) =>
      (await promisify(execFile)('etcdctl', ['--endpoints', peers.map((p) => p.url).join(','), '--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey, '--command-timeout=10s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } })).stdout;
    const leaderOf = (out: string) => out.split('\n').filter((l) => l.split(', ')[4] === 'true').map((l) => l.split(', ')[1]!);
    const status = await ctl('endpoint', 'status');
    expect(status.trim().split('\n').map((l) => l.split(', ')[0])).toEqual(peers.map((p) => p.url));
    expect(leaderOf(status)).toHaveLength(1);
    const target = status.split('\n').find((l) => l.split(', ')[4] === 'false')!.split(', ')[1]!;
    expect(await ctl('move-leader', target)).toBe(`Leadership transferred from ${leaderOf(status)[0]} to ${target}\n`);
    await eventually('the new leader', async () => (leaderOf(await ctl('endpoint', 'status')).join() === target ? true : undefined));

    // Without a client certificate the handshake is refused.
    const anonymous = new Etcd3({ hosts: peers[0]!.url, credentials: { rootCertificate: readFileSync(certs.ca) }, dialTimeout: 3000 });
    await expect(anonymous.get('k/2').string()).rejects.toThrow();
    anonymous.close();

    // The JSON gateway shares the TLS port.
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${peers[1]!.url}/v3/kv/range`,
        { method: 'POST', ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
        (res) => {
          let out = '';
          res.on('data', (d: Buffer) => (out += d.toString()));
          res.on('end', () => resolve(out));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ key: Buffer.from('k/2').toString('base64') }));
    });
    expect(JSON.parse(body)).toMatchObject({ count: '1', kvs: [{ value: Buffer.from('two').toString('base64') }] });
  });
});
