/**
 * Two Node peers over WebRTC (@roamhq/wrtc) with the relay as fallback. Run under
 * scripts/netns-run: ICE needs a non-loopback interface, and without one the link stays on
 * the relay and this test fails by design.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import { b64, killAll, post, startPeer, startSignaling, tempDirs, unb64 } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterAll(async () => {
  await killAll();
  await dirs.cleanup();
});

describe('peers over WebRTC', () => {
  it('open a data channel, log the link change, and replicate over it', async () => {
    const { url: signaling } = await startSignaling();
    const common = ['--cluster', 'rtc', '--signaling', signaling, '--tick-ms', '50'];
    const a = await startPeer([...common, '--data', await dirs.make(), '--id', 'a', '--bootstrap'], 'node', true);
    await a.waitFor(/transport webrtc\+relay/);
    await a.waitFor(/leader a/);
    const b = await startPeer([...common, '--data', await dirs.make(), '--id', 'b'], 'node', true);
    // With two members b stays a learner (the leader keeps the voter count odd); it still
    // replicates, forwards writes and reads through the leader.
    await a.waitFor(/member joined b/);
    await a.waitFor(/member joined b .*\(link webrtc[;)]|link b \S+ -> webrtc/);
    const metrics = await (await fetch(a.url + '/metrics')).text();
    expect(metrics).toMatch(/^meshraft_link_up\{peer="b",state="webrtc"\} 1$/m);

    expect((await post(b.url, '/v3/kv/put', { key: b64('k'), value: b64('over-rtc') })).status).toBe(200);
    const r = await post(a.url, '/v3/kv/range', { key: b64('k') });
    expect(unb64((r.json.kvs as { value: string }[])[0]!.value)).toBe('over-rtc');
    // gRPC on the same port, in this default (WebRTC) configuration too.
    const [cb, ca] = [new Etcd3({ hosts: b.url.replace('http://', '') }), new Etcd3({ hosts: a.url.replace('http://', '') })];
    try {
      await cb.put('g').value('grpc-over-rtc');
      expect(await ca.get('g').string()).toBe('grpc-over-rtc');
    } finally {
      cb.close();
      ca.close();
    }
    expect(await b.kill('SIGTERM')).toBe(0);
    expect(await a.kill('SIGTERM')).toBe(0);
  });
});
