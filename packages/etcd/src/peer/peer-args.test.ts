import { describe, expect, it } from 'vitest';
import { parseCommand, parseHttpAddress } from './peer-args.js';
import { UsageError } from './peer-errors.js';
import { PEER_FLAGS, SIGNALING_FLAGS, usage as usageText } from './peer-flags.js';

const base = ['peer', '--cluster', 'c', '--signaling', 'ws://127.0.0.1:8787', '--data', '/d'];

function usage(argv: string[]): UsageError {
  try {
    parseCommand(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('USAGE');
    return err as UsageError;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

describe('parseCommand', () => {
  it('peer: defaults and every flag', () => {
    expect(parseCommand(base)).toEqual({
      command: 'peer',
      config: { cluster: 'c', signaling: 'ws://127.0.0.1:8787', data: '/d', bootstrap: false, relayOnly: false, tickMs: 100, requestTimeoutMs: 5000, fsync: true, quiet: false, maxRequestBytes: 1572864 },
    });
    const all = parseCommand([...base, '--id', 'n1', '--bootstrap', '--secret', 's', '--http', ':2379', '--relay-only', '--tick-ms', '20', '--request-timeout-ms', '900', '--no-fsync', '--quiet']);
    expect(all).toEqual({
      command: 'peer',
      config: {
        cluster: 'c', signaling: 'ws://127.0.0.1:8787', data: '/d', id: 'n1', bootstrap: true, secret: 's',
        http: { host: '127.0.0.1', port: 2379 }, relayOnly: true, tickMs: 20, requestTimeoutMs: 900, fsync: false, quiet: true, maxRequestBytes: 1572864,
      },
    });
  });

  it('--help and -h: the usage of that command, even beside bad flags', () => {
    expect(parseCommand(['peer', '--help'])).toEqual({ command: 'help', topic: 'peer' });
    expect(parseCommand(['peer', '--bogus', '-h'])).toEqual({ command: 'help', topic: 'peer' });
    expect(parseCommand(['signaling', '-h'])).toEqual({ command: 'help', topic: 'signaling' });
    expect(parseCommand(['--help'])).toEqual({ command: 'help', topic: 'all' });
    expect(parseCommand(['help', 'signaling'])).toEqual({ command: 'help', topic: 'signaling' });
  });

  it('the usage lists every flag of the table', () => {
    for (const name of Object.keys(PEER_FLAGS)) expect(usageText('peer')).toContain(`--${name}`);
    for (const name of Object.keys(SIGNALING_FLAGS)) expect(usageText('signaling')).toContain(`--${name}`);
    expect(usageText('peer')).not.toContain('signaling flags');
  });

  it('peer: etcd client-port flags (listen URL, TLS, limits, auto-compaction)', () => {
    const c = parseCommand([...base, '--listen-client-urls', 'https://0.0.0.0:2379', '--cert-file', 'c.pem', '--key-file', 'k.pem', '--trusted-ca-file', 'ca.pem', '--client-cert-auth', '--max-request-bytes', '4096', '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000']);
    expect(c.command === 'peer' && c.config).toMatchObject({
      http: { host: '0.0.0.0', port: 2379 },
      tls: { certFile: 'c.pem', keyFile: 'k.pem', trustedCaFile: 'ca.pem', clientCertAuth: true },
      maxRequestBytes: 4096,
      autoCompaction: { mode: 'revision', retention: 1000 },
    });
    const p = parseCommand([...base, '--http', '2379', '--auto-compaction-retention', '30m']);
    expect(p.command === 'peer' && p.config.autoCompaction).toEqual({ mode: 'periodic', retentionMs: 1_800_000 });
    expect(usage([...base, '--listen-client-urls', 'https://h:1']).message).toMatch(/needs --cert-file/);
    expect(usage([...base, '--http', '1', '--listen-client-urls', 'http://h:1']).message).toMatch(/give one/);
    expect(usage([...base, '--http', '1', '--cert-file', 'c', '--key-file', 'k', '--client-cert-auth']).message).toMatch(/needs --trusted-ca-file/);
    expect(usage([...base, '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1h']).message).toMatch(/revisions/);
  });

  it('peer: --name and --advertise-client-urls (comma-separated), within the member table\'s bounds', () => {
    const member = (args: string[]) => {
      const c = parseCommand([...base, ...args]);
      return c.command === 'peer' ? [c.config.name, c.config.advertiseClientUrls] : undefined;
    };
    expect(member(['--name', 'n', '--advertise-client-urls', 'http://a:1, https://b:2'])).toEqual(['n', ['http://a:1', 'https://b:2']]);
    expect(member([])).toEqual([undefined, undefined]);
    expect(usage([...base, '--name', '']).message).toMatch(/--name must be 1 to 256/);
    expect(usage([...base, '--name', 'x'.repeat(257)]).message).toMatch(/--name/);
    for (const bad of ['a:1', 'http://a', 'http://a:1/path', 'ftp://a:1', `http://${'h'.repeat(520)}:1`, Array.from({ length: 17 }, (_, i) => `http://h:${i + 1}`).join(',')]) {
      expect(usage([...base, '--advertise-client-urls', bad]).message).toMatch(/--advertise-client-urls must be up to 16/);
    }
  });

  it('signaling: port, host and limits', () => {
    expect(parseCommand(['signaling', '--port', '0', '--rate', '10'])).toEqual({ command: 'signaling', config: { port: 0, host: '0.0.0.0', messagesPerSecond: 10 } });
    expect(parseCommand(['signaling', '--max-connections', '100', '--max-connections-per-ip', '5'])).toMatchObject({
      config: { maxConnections: 100, maxConnectionsPerIp: 5 },
    });
    expect(usage(['signaling', '--max-connections', '0']).message).toMatch(/--max-connections must be an integer in \[1,/);
    expect(usage(['signaling', '--max-connections-per-ip', 'many']).message).toMatch(/--max-connections-per-ip/);
  });

  it('peer: repeatable --ice-server and --ice-transport-policy', () => {
    const c = parseCommand([...base, '--ice-server', 'stun:10.0.0.1:3478', '--ice-server', 'turn:10.0.0.1:3478?transport=udp,u,p', '--ice-transport-policy', 'relay']);
    expect(c).toMatchObject({
      config: {
        iceServers: [{ urls: 'stun:10.0.0.1:3478' }, { urls: 'turn:10.0.0.1:3478?transport=udp', username: 'u', credential: 'p' }],
        iceTransportPolicy: 'relay',
      },
    });
    expect(usage([...base, '--ice-server', 'http://x']).message).toMatch(/^--ice-server: bad ICE server "http:\/\/x": scheme "http:"/);
    expect(usage([...base, '--ice-server', 'turn:x']).message).toMatch(/needs a username and credential/);
    expect(usage([...base, '--ice-transport-policy', 'direct']).message).toMatch(/must be "all" or "relay"/);
    expect(usage([...base, '--ice-server', 'stun:x', '--ice-transport-policy', 'relay']).message).toMatch(/needs a TURN server/);
    expect(usage([...base, '--relay-only', '--ice-server', 'stun:x']).message).toMatch(/--relay-only turns off/);
  });

  it('bad flags are UsageErrors with a message naming the flag', () => {
    expect(usage([]).message).toBe('missing command');
    expect(usage(['serve']).message).toBe('unknown command "serve"');
    expect(usage(['peer', '--signaling', 'ws://h:1', '--data', '/d']).message).toBe('--cluster is required');
    expect(usage(['peer', '--cluster', 'c', '--data', '/d']).message).toBe('--signaling is required');
    expect(usage(base.slice(0, 5)).message).toBe('--data is required');
    expect(usage(['peer', '--cluster', '', ...base.slice(3)]).message).toBe('--cluster is required');
    expect(usage([...base, '--cluster', 'd']).message).toBe('--cluster is given more than once');
    expect(usage([...base, '--quiet', '--quiet']).message).toBe('--quiet is given more than once');
    expect(usage(['peer', '--cluster', 'c', '--signaling', 'ws://', '--data', '/d']).message).toMatch(/with a host/);
    expect(usage(['signaling', '--host', '']).message).toBe('--host must not be empty');
    expect(usage(['peer', '--cluster', 'c', '--signaling', 'http://h', '--data', '/d']).message).toMatch(/ws:\/\/ or wss:\/\//);
    expect(usage([...base, '--tick-ms', '0']).message).toMatch(/--tick-ms must be an integer/);
    expect(usage([...base, '--tick-ms', '1.5']).message).toMatch(/--tick-ms/);
    expect(usage([...base, '--request-timeout-ms', 'soon']).message).toMatch(/--request-timeout-ms/);
    expect(usage([...base, '--http', 'localhost']).message).toMatch(/--http must be \[HOST:\]PORT/);
    expect(usage([...base, '--http', '1:70000']).message).toMatch(/--http/);
    expect(usage([...base, '--id', '']).message).toBe('--id must not be empty');
    expect(usage([...base, '--bogus']).message).toMatch(/bogus/);
    expect(usage([...base, 'stray']).message).toMatch(/stray/);
    expect(usage([...base, '--bootstrap=yes']).message).toMatch(/bootstrap/);
    expect(usage(['signaling', '--port', '-1']).message).toMatch(/--port/);
  });
});

describe('parseHttpAddress', () => {
  it('accepts PORT, :PORT, HOST:PORT and [IPv6]:PORT', () => {
    expect(parseHttpAddress('2379')).toEqual({ host: '127.0.0.1', port: 2379 });
    expect(parseHttpAddress(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHttpAddress('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseHttpAddress('[::1]:2379')).toEqual({ host: '::1', port: 2379 });
  });
});
