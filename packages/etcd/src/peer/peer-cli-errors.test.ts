/**
 * `meshraft peer`, `meshraft signaling` and `pnpm signaling` as a user meets them: --help, and
 * every kind of bad input, each answered with its message and exit code (docs/peer.md), as real
 * processes. Then signals: a peer whose start-up hangs still goes within the 5 s bound.
 */
import { execFileSync } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, runCli, signalingCliPath, tempDirs, type CliProcess } from './__tests__/peer-process.js';

const dirs = tempDirs();
afterEach(killAll);
afterAll(dirs.cleanup);

/** A loopback port something else listens on; `base` an existing directory, `file` a file. */
let busy: Server;
let busyPort = 0;
let base = '';
let file = '';
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
  base = await dirs.make();
  file = join(base, 'a-file');
  await writeFile(file, 'not a directory');
});
afterAll(() => new Promise<void>((r) => busy.close(() => r())));

const peer = (...extra: string[]) => ['peer', '--cluster', 'c', '--signaling', 'ws://127.0.0.1:1', '--relay-only', ...extra];

interface Case {
  readonly name: string;
  readonly args: () => readonly string[];
  readonly exit: number;
  readonly output: RegExp;
  /** `pnpm signaling`'s script instead of `meshraft`. */
  readonly script?: string;
}

const USAGE_PEER = /usage:\s+meshraft peer --cluster NAME --signaling URL --data DIR \[flags\][\s\S]*-h, --help/;

const cases: readonly Case[] = [
  // help
  { name: 'peer --help', args: () => ['peer', '--help'], exit: 0, output: USAGE_PEER },
  { name: 'peer -h beside other flags', args: () => peer('--data', base, '-h'), exit: 0, output: USAGE_PEER },
  { name: 'peer --help beside a bad flag', args: () => ['peer', '--frobnicate', '--help'], exit: 0, output: USAGE_PEER },
  { name: 'signaling --help', args: () => ['signaling', '--help'], exit: 0, output: /usage:\s+meshraft signaling \[flags\][\s\S]*--max-peers N/ },
  { name: 'meshraft --help', args: () => ['--help'], exit: 0, output: /meshraft peer --cluster NAME[\s\S]*meshraft signaling \[flags\][\s\S]*exit codes:/ },
  { name: 'meshraft help peer', args: () => ['help', 'peer'], exit: 0, output: USAGE_PEER },
  { name: 'pnpm signaling --help', args: () => ['--help'], exit: 0, output: /usage: pnpm signaling \[flags\][\s\S]*--max-frame BYTES/, script: signalingCliPath },
  // commands and flags
  { name: 'no command', args: () => [], exit: 2, output: /meshraft: missing command/ },
  { name: 'unknown command', args: () => ['teleport'], exit: 2, output: /unknown command "teleport"/ },
  { name: 'unknown flag', args: () => peer('--data', base, '--frobnicate'), exit: 2, output: /Unknown option '--frobnicate'[\s\S]*usage:/ },
  { name: 'stray argument', args: () => peer('--data', base, 'extra'), exit: 2, output: /Unexpected argument 'extra'/ },
  { name: 'missing --data', args: () => peer(), exit: 2, output: /--data is required/ },
  { name: 'missing --cluster', args: () => ['peer', '--signaling', 'ws://h:1', '--data', base], exit: 2, output: /--cluster is required/ },
  { name: 'a value for a switch', args: () => peer('--data', base, '--bootstrap=yes'), exit: 2, output: /--bootstrap/ },
  { name: 'conflicting: --data twice', args: () => peer('--data', base, '--data', file), exit: 2, output: /--data is given more than once/ },
  { name: 'conflicting: --http twice', args: () => peer('--data', base, '--http', '1', '--http', '2'), exit: 2, output: /--http is given more than once/ },
  // URLs
  { name: 'http:// signaling URL', args: () => ['peer', '--cluster', 'c', '--signaling', 'http://h:1', '--data', base], exit: 2, output: /--signaling must be a ws:\/\/ or wss:\/\/ URL with a host, got "http:\/\/h:1"/ },
  { name: 'signaling URL without a host', args: () => ['peer', '--cluster', 'c', '--signaling', 'ws://', '--data', base], exit: 2, output: /--signaling must be a ws:\/\/ or wss:\/\/ URL/ },
  { name: 'signaling URL with port 99999', args: () => ['peer', '--cluster', 'c', '--signaling', 'ws://h:99999', '--data', base], exit: 2, output: /--signaling must be a ws:\/\/ or wss:\/\/ URL/ },
  { name: 'not a URL', args: () => ['peer', '--cluster', 'c', '--signaling', 'localhost:8787', '--data', base], exit: 2, output: /--signaling must be/ },
  // numbers
  { name: '--tick-ms 0', args: () => peer('--data', base, '--tick-ms', '0'), exit: 2, output: /--tick-ms must be an integer in \[1, 60000\], got "0"/ },
  { name: '--tick-ms abc', args: () => peer('--data', base, '--tick-ms', 'abc'), exit: 2, output: /--tick-ms must be an integer/ },
  { name: '--request-timeout-ms=-5', args: () => peer('--data', base, '--request-timeout-ms=-5'), exit: 2, output: /--request-timeout-ms must be an integer/ },
  { name: '--http 70000', args: () => peer('--data', base, '--http', '70000'), exit: 2, output: /--http must be an integer in \[0, 65535\], got "70000"/ },
  { name: '--http a host alone', args: () => peer('--data', base, '--http', 'localhost'), exit: 2, output: /--http must be \[HOST:\]PORT/ },
  { name: 'signaling --port 70000', args: () => ['signaling', '--port', '70000'], exit: 2, output: /--port must be an integer in \[0, 65535\]/ },
  { name: 'signaling --rate 1.5', args: () => ['signaling', '--rate', '1.5'], exit: 2, output: /--rate must be an integer/ },
  { name: 'signaling unknown flag', args: () => ['signaling', '--tokens', 'x'], exit: 2, output: /Unknown option '--tokens'/ },
  { name: 'pnpm signaling unknown flag', args: () => ['--bogus'], exit: 2, output: /signaling: Unknown option '--bogus'[\s\S]*usage: pnpm signaling/, script: signalingCliPath },
  { name: 'pnpm signaling --port abc', args: () => ['--port', 'abc'], exit: 2, output: /--port must be an integer in \[0, 65535\], got "abc"/, script: signalingCliPath },
  // data directories
  { name: '--data is a file', args: () => peer('--data', file), exit: 2, output: /data directory \S+a-file is unusable: it is not a directory \(DATA_DIR_UNUSABLE\)/ },
  { name: '--data below a file', args: () => peer('--data', join(file, 'sub')), exit: 2, output: /a-file is not a directory \(DATA_DIR_UNUSABLE\)/ },
  { name: '--data cannot be created (/proc/x)', args: () => peer('--data', '/proc/meshraft-x'), exit: 2, output: /cannot create \/proc\/meshraft-x \(ENOENT\) \(DATA_DIR_UNUSABLE\)/ },
  { name: '--data cannot be written (/proc)', args: () => peer('--data', '/proc'), exit: 2, output: /\/proc is unusable: cannot write files in it/ },
  // listen addresses
  { name: 'signaling port in use', args: () => ['signaling', '--host', '127.0.0.1', '--port', String(busyPort)], exit: 2, output: /already in use \(EADDRINUSE\); choose another with --port or --host \(LISTEN_FAILED\)/ },
  { name: 'pnpm signaling port in use', args: () => ['--host', '127.0.0.1', '--port', String(busyPort)], exit: 2, output: /EADDRINUSE\); choose another with --port or --host/, script: signalingCliPath },
];

/** Runs `cases` a few at a time (each is a Node process starting tsx: heavy on 2 cores). */
async function runAll(list: readonly Case[], width = 4): Promise<Map<Case, CliProcess>> {
  const out = new Map<Case, CliProcess>();
  for (let i = 0; i < list.length; i += width) {
    const batch = list.slice(i, i + width).map((c) => [c, runCli(c.args(), 'node', c.script)] as const);
    await Promise.all(batch.map(([, p]) => p.exited));
    for (const [c, p] of batch) out.set(c, p);
  }
  return out;
}

describe('bad input and --help', () => {
  it('each case: its message and exit code, and no hang', { timeout: 300_000 }, async () => {
    const results = await runAll(cases);
    const failures = cases.flatMap((c) => {
      const p = results.get(c)!;
      const text = p.lines.join('\n');
      return c.output.test(text) ? [] : [`${c.name}: output does not match ${c.output}:\n${text}`];
    });
    expect(failures).toEqual([]);
    const codes = await Promise.all(cases.map((c) => results.get(c)!.exited));
    expect(Object.fromEntries(cases.map((c, i) => [c.name, codes[i]]))).toEqual(Object.fromEntries(cases.map((c) => [c.name, c.exit])));
  });

  it('a port in use: refused before any state exists (no new data directory, an empty one left empty)', async () => {
    const fresh = join(base, 'fresh');
    const empty = await dirs.make();
    for (const dir of [fresh, empty]) {
      const p = runCli(peer('--data', dir, '--bootstrap', '--http', `127.0.0.1:${busyPort}`));
      expect(await p.exited).toBe(2);
      expect(p.lines.join('\n')).toMatch(
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busyPort}: the address is already in use \\(EADDRINUSE\\); choose another with --http \\(LISTEN_FAILED\\)`),
      );
    }
    await expect(stat(fresh)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(empty)).toEqual([]);
  });
});

describe('signals', () => {
  /** A data directory whose checkpoint is a FIFO: reading it blocks in the kernel, so the start hangs. */
  async function hangingDataDir(): Promise<string> {
    const dir = await dirs.make();
    execFileSync('mkfifo', [join(dir, 'checkpoint')]);
    return dir;
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops a peer whose start-up hangs, within the 5 s bound', async (signal) => {
    const p = runCli(peer('--data', await hangingDataDir()));
    await p.waitFor(/info starting: cluster c/);
    // Started means handlers are in; wait a little so the start is really stuck in the read.
    await new Promise((r) => setTimeout(r, 500));
    expect(p.lines.join('\n')).not.toMatch(/peer \S+ started/);
    const sent = Date.now();
    const how = await p.kill(signal);
    const took = Date.now() - sent;
    expect(p.lines.join('\n')).toMatch(new RegExp(`${signal}: stopping \\(after start-up\\)[\\s\\S]*stop did not finish within 5 s; killing the process \\(SIGKILL\\)`));
    expect(how).toBe('SIGKILL');
    // 5 s of grace plus slack for a loaded machine; without the bound it never exits (test timeout).
    expect(took).toBeGreaterThanOrEqual(4_900);
    expect(took).toBeLessThan(30_000);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops meshraft signaling gracefully (exit 0)', async (signal) => {
    const p = runCli(['signaling', '--host', '127.0.0.1', '--port', '0']);
    await p.waitFor(/listening on port \d+/);
    expect(await p.kill(signal)).toBe(0);
  });
});
