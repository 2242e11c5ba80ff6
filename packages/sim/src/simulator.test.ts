import { describe, expect, it } from 'vitest';
import { BadSimConfigError } from './errors.js';
import { SIM_BUGS, type ClassicBug } from './sim-node.js';
import { formatVerdictLine, RETRY_HEAVY_WORKLOAD, simulate } from './simulator.js';
import { runSeeds } from './__tests__/run-seeds.js';

describe('simulated cluster under faults', () => {
  it('keeps every safety invariant, linearizability and liveness over 400 seeds of 3 nodes (+2 spares)', () => {
    const { results, failures } = runSeeds(1, 400);
    // On failure this prints each failing seed with the exact replay command.
    expect(failures, failures.join('\n\n')).toEqual([]);
    // The runs must actually exercise the faults and the checker, or passing proves little.
    const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((s, r) => s + f(r), 0);
    expect(sum((r) => r.crashes)).toBeGreaterThan(2000);
    expect(sum((r) => r.partitions)).toBeGreaterThan(2000);
    expect(sum((r) => r.opsChecked)).toBeGreaterThan(12_000);
    expect(sum((r) => r.workload.indeterminate)).toBeGreaterThan(1000);
    expect(sum((r) => r.confChanges)).toBeGreaterThan(500);
    expect(sum((r) => r.snapshotsInstalled)).toBeGreaterThan(200);
    expect(sum((r) => r.duplicatesSuppressed)).toBeGreaterThan(500);
    expect(results.filter((r) => r.leadersElected > 1).length).toBeGreaterThan(300);
  });

  it('keeps them over 100 seeds of 5 nodes (+2 spares)', () => {
    const { failures } = runSeeds(401, 500, { nodes: 5 });
    expect(failures, failures.join('\n\n')).toEqual([]);
  });

  it('replays a seed exactly, with or without tracing', () => {
    const lines: string[] = [];
    const a = simulate({ seed: 42 });
    const b = simulate({ seed: 42, trace: (l) => lines.push(l) });
    expect(b.history).toEqual(a.history);
    expect(formatVerdictLine(b)).toBe(formatVerdictLine(a));
    expect(lines.length).toBeGreaterThan(50);
    expect(simulate({ seed: 43 }).history).not.toEqual(a.history);
  });

  it('reports missing liveness when the bound is too tight to meet', () => {
    const r = simulate({ seed: 1, livenessBound: 1 });
    expect(r.verdict).toBe('no-liveness');
    expect(r.detail).toMatch(/no new entry committed within 1 ticks/);
  });

  it('exercises snapshots, chunked InstallSnapshot and session deduplication', () => {
    const { results, failures } = runSeeds(1, 25, { snapshotEvery: 3 });
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(results.reduce((s, r) => s + r.snapshotsInstalled, 0)).toBeGreaterThan(20);
    expect(results.reduce((s, r) => s + (r.messages.snapshot ?? 0), 0)).toBeGreaterThan(results.reduce((s, r) => s + r.snapshotsInstalled, 0));
    expect(results.reduce((s, r) => s + r.duplicatesSuppressed, 0)).toBeGreaterThan(10);
  });

  it('keeps every election on a committed majority across restarts after compaction (issue 17)', () => {
    // snapshotEntries-like compaction every 20 entries: restarts then begin from a snapshot whose
    // log no longer holds the conf changes before it. The stale-conf-after-compact double below
    // shows these runs reach that path.
    const { results, failures } = runSeeds(1, 60, { snapshotEvery: 20 });
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(results.reduce((s, r) => s + r.crashes, 0)).toBeGreaterThan(300);
    expect(results.reduce((s, r) => s + r.confChanges, 0)).toBeGreaterThan(60);
  });

  it('applies each retried command exactly once and answers retries with the original result', () => {
    const { results, failures } = runSeeds(1, 25, { workload: RETRY_HEAVY_WORKLOAD });
    expect(failures, failures.join('\n\n')).toEqual([]);
    const total = (f: (r: (typeof results)[number]) => number) => results.reduce((s, r) => s + f(r), 0);
    expect(total((r) => r.workload.retries)).toBeGreaterThan(200);
    expect(total((r) => r.duplicatesSuppressed)).toBeGreaterThan(100);
    expect(total((r) => r.workload.retriesAnsweredFromCache)).toBeGreaterThan(10);
  });

  it('stays exactly-once and linearizable when sessions expire by log index', () => {
    const { results, failures } = runSeeds(1, 25, { workload: RETRY_HEAVY_WORKLOAD, sessionTtl: 15 });
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(results.reduce((s, r) => s + r.workload.sessionsExpired, 0)).toBeGreaterThan(10);
  });

  it('rejects bad options with a typed error', () => {
    expect(() => simulate({ seed: 1, nodes: 0 })).toThrow(BadSimConfigError);
    expect(() => simulate({ seed: 1, ticks: -1 })).toThrow(BadSimConfigError);
  });
});

describe('the checks catch a deliberately broken host', () => {
  const expected: Record<ClassicBug, RegExp> = {
    // The core's own guard fires first (as etcd's does): a commit index past the log end.
    'lose-acked-entries': /LOG_CORRUPTION|LogCorruptionError|leader-completeness|state-machine-safety|not linearizable/,
    'forget-vote': /vote-safety|election-safety/,
    'stale-reads': /not linearizable/,
    'no-dedup': /exactly-once/,
    'stale-conf-after-compact': /election-quorum/,
  };
  // Only compaction exposes a stale disk configuration.
  const options: Partial<Record<ClassicBug, { snapshotEvery: number }>> = { 'stale-conf-after-compact': { snapshotEvery: 20 } };
  for (const bug of SIM_BUGS) {
    it(`${bug} fails some seeds, with an explanation`, () => {
      const { failures } = runSeeds(1, 60, { bug, ...options[bug] }, 3);
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) expect(f).toMatch(expected[bug]);
      expect(failures[0]).toMatch(/replay: pnpm sim --seed \d+ .*--bug/);
    });
  }
});
