import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSignalingClient } from '@meshraft/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from './demo-server.js';

let root = '';
let server: DemoServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'demo-server-test-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><p>board</p>');
  writeFileSync(join(root, 'assets', 'app-1.js'), 'console.log(1)');
  writeFileSync(join(root, '..', 'secret-demo-server-test.txt'), 'secret');
  server = await startDemoServer({ port: 0, root, pageConfig: { ice: ['turn:10.0.0.1:3478,u,p'], iceRelay: true } });
});

afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(join(root, '..', 'secret-demo-server-test.txt'), { force: true });
});

/** Raw GET (no URL normalisation by a client library, so `..` reaches the server). */
function get(path: string, method = 'GET'): Promise<{ status: number; type: string; body: string; cache: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body, cache: String(res.headers['cache-control']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo server', () => {
  it('serves the page for / and for any room path, assets with their type and a long cache', async () => {
    expect(await get('/?room=x')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><p>board</p>', cache: 'no-cache' });
    expect((await get('/some/room')).body).toContain('board');
    expect(await get('/assets/app-1.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', cache: 'public, max-age=31536000, immutable' });
    expect((await get('/assets/missing.js')).status).toBe(404);
    expect((await get('/', 'HEAD')).body).toBe('');
    expect((await get('/', 'POST')).status).toBe(405);
  });

  it('serves the pages\' defaults from its flags as /config.json', async () => {
    const r = await get('/config.json');
    expect(r).toMatchObject({ status: 200, type: 'application/json', cache: 'no-cache' });
    expect(JSON.parse(r.body)).toEqual({ ice: ['turn:10.0.0.1:3478,u,p'], iceRelay: true });
  });

  it('never serves files outside its root', async () => {
    for (const path of ['/../secret-demo-server-test.txt', '/%2e%2e/secret-demo-server-test.txt', '/assets/..%2f..%2fsecret-demo-server-test.txt']) {
      const r = await get(path);
      expect(r.body, path).not.toContain('secret');
    }
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get('/a%00b')).status).toBe(400);
  });

  it('mounts the signaling server on the same port', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(server.signalingUrl).toBe(`ws://127.0.0.1:${server.port}/signal`);
    const a = createSignalingClient({ urls: server.signalingUrl, room: 'r', peer: 'a' });
    const b = createSignalingClient({ urls: server.signalingUrl, room: 'r', peer: 'b' });
    await Promise.all([a.whenJoined(), b.whenJoined()]);
    const got = new Promise<unknown>((r) => b.on('signal', (_from, payload) => r(payload)));
    await new Promise<void>((r) => {
      const poll = (): void => (a.peers().includes('b') ? r() : void setTimeout(poll, 5));
      poll();
    });
    expect(a.sendSignal('b', { hello: 1 })).toBe(true);
    expect(await got).toEqual({ hello: 1 });
    await Promise.all([a.close(), b.close()]);
  });

  it('with data, a restarted demo server still knows a room\'s cluster id', async () => {
    const data = mkdtempSync(join(tmpdir(), 'demo-server-data-'));
    try {
      const id = 'c'.repeat(32);
      const first = await startDemoServer({ port: 0, root, data });
      const a = createSignalingClient({ urls: first.signalingUrl, room: 'board.r', peer: 'a' });
      await a.whenJoined();
      const recorded = new Promise<void>((r) => a.clusterRecord.onRecord((v) => v === id && r()));
      a.clusterRecord.announce(id);
      await recorded; // told only once durable
      await a.close();
      await first.close();
      const again = await startDemoServer({ port: 0, root, data });
      expect(again.signaling.stats().recordedRooms).toBe(1);
      const b = createSignalingClient({ urls: again.signalingUrl, room: 'board.r', peer: 'b' });
      await b.whenJoined();
      expect(b.clusterRecord.recorded()).toBe(id);
      await b.close();
      await again.close();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
