import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rawClient } from './__tests__/raw-client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('pnpm signaling CLI', () => {
  it('starts a real process that answers /healthz and signals, and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn('pnpm', ['--silent', 'signaling', '--port', String(port), '--host', '127.0.0.1', '--quiet'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so the kill below reaches tsx's node child too
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(output, output).toContain(`listening on port ${port}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await res.json()).toEqual({ ok: true });
      const c = await rawClient(`ws://127.0.0.1:${port}/signal`);
      c.send({ type: 'join', room: 'r', peer: 'a' });
      expect(await c.waitFor((m) => m.type === 'joined')).toMatchObject({ peers: [] });
      process.kill(-child.pid!, 'SIGTERM');
      expect((await c.closed).code).toBe(1001);
      await exited;
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
