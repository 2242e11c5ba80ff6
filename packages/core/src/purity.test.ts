/** The core is pure and deterministic: no clocks, timers, global randomness or I/O. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Network, enc } from './__tests__/network.js';

const dir = dirname(fileURLToPath(import.meta.url));
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('purity', () => {
  it('no clock, timer, global randomness or node: import in the core sources', () => {
    expect(sources.length).toBeGreaterThan(10);
    const banned = [/Math\.random/, /Date\.now/, /new Date\(/, /performance\.now/, /setTimeout/, /setInterval/, /from 'node:/, /process\./];
    for (const f of sources) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const re of banned) expect(re.test(text), `${f} uses ${re}`).toBe(false);
    }
  });

  it('the same seed gives the same run, message for message', () => {
    const trace = (seed: number): string => {
      const net = new Network(['a', 'b', 'c'], {}, seed);
      net.drop('a', 'b', 0.3);
      net.reorder = true;
      const out: string[] = [];
      net.filter = (m) => {
        out.push(`${m.type}:${m.from}>${m.to}@${m.term}`);
        return true;
      };
      for (let i = 0; i < 60; i++) {
        net.tickAll(1);
        const lead = net.leader();
        if (lead !== null && i % 5 === 0) net.node(lead).propose(enc(`${i}`));
      }
      return out.join(' ');
    };
    expect(trace(5)).toBe(trace(5));
    expect(trace(5)).not.toBe(trace(6));
  });
});
