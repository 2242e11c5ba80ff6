import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('pnpm demo', () => {
  it('narrates election, crash, partition and a linearizable history, exiting 0', () => {
    const out = execFileSync('node', ['--import', 'tsx', '--conditions=source', 'packages/sim/src/demo.ts'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toMatch(/1\. Five nodes start/);
    expect(out).toMatch(/is leader in term 1/);
    expect(out).toMatch(/crashes on purpose/);
    expect(out).toMatch(/outcome unknown/);
    expect(out).toMatch(/every Raft safety invariant held at every step; the history of \d+ client operations is linearizable/);
  });
});
