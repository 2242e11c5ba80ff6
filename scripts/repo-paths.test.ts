/**
 * No tracked file may name a path outside the repository: a clone has nothing there, so a
 * command, comment or link that points outside works only on the machine it was written on.
 * Flagged: a `shared` directory next to the checkout (`..` + `/shared`), absolute paths into a
 * developer's machine (/work, /home/NAME, /Users/NAME, /root, /mnt, C:\Users), and relative
 * paths that leave the repository both from the file's own directory and from the repository
 * root and then name nothing the repository has (a lockfile's `link:../core` is relative to its
 * package and names one). System paths a program legitimately uses (/usr/bin/chromium, /proc, /tmp, /dev/null)
 * are not flagged. Patterns are assembled from parts so this file does not flag itself.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const UP = '\\.\\.';
const SHARED = new RegExp(`${UP}[\\\\/]shared\\b`, 'g');
/** Starts only at a token boundary, so `src/worker/` or `a/home/b` never match. */
const MACHINE = new RegExp(
  `(?<![\\w.~/\\\\-])(?:/(?:work|root|mnt)/[\\w.-]|/(?:home|Users)/[\\w.-]+/|[A-Za-z]:\\\\+Users\\\\)`,
  'g',
);
const RELATIVE = new RegExp(`(?<![\\w.~/\\\\$-])((?:${UP}/)+)([\\w@.-]+)`, 'g');

export interface OutsidePath {
  readonly line: number;
  readonly text: string;
}

/** The outside-the-repository paths named in one file's text (`file` is relative to the root). */
export function findOutsidePaths(file: string, text: string, names: ReadonlySet<string>, repoRoot = root): OutsidePath[] {
  const found: OutsidePath[] = [];
  const lines = text.split('\n');
  const escapes = (from: string, rel: string) => {
    const r = relative(repoRoot, resolve(from, rel));
    return r === '..' || r.startsWith(`..${sep}`);
  };
  lines.forEach((line, i) => {
    const shared = [...line.matchAll(SHARED)];
    for (const m of shared) found.push({ line: i + 1, text: m[0] });
    for (const m of line.matchAll(MACHINE)) found.push({ line: i + 1, text: m[0] });
    for (const m of line.matchAll(RELATIVE)) {
      const up = m[1]!;
      if (names.has(m[2]!) || shared.some((s) => s.index === m.index)) continue;
      if (escapes(join(repoRoot, dirname(file)), up) && escapes(repoRoot, up)) found.push({ line: i + 1, text: m[0] });
    }
  });
  return found;
}

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.split('\0').filter((f) => f.length > 0);
}

/** Every file and directory name in the repository. */
function namesOf(files: readonly string[]): Set<string> {
  return new Set(files.flatMap((f) => f.split('/')));
}

const files = trackedFiles();
const names = namesOf(files);

describe('paths outside the repository', () => {
  it('flags what a clone does not have and nothing a program legitimately names', () => {
    const flagged = [
      ['README.md', 'run `' + ['..', 'shared', 'netns-run'].join('/') + ' pnpm test`'],
      ['.ci/run', 'netns_run="$root/' + ['..', 'shared'].join('/') + '/netns-run"'],
      ['docs/peer.md', 'under `' + ['', 'work', 'shared', 'netns-run'].join('/') + '`'],
      ['packages/x/src/a.ts', "const d = '" + ['', 'home', 'ada', 'meshraft'].join('/') + "';"],
      ['packages/x/src/a.ts', ' * see ' + ['', 'Users', 'ada', 'x.ts'].join('/')],
      ['docs/a.md', 'C:' + '\\Users\\ada\\meshraft'],
      ['docs/a.md', 'from `' + ['', 'root', '.cache'].join('/') + '`'],
      ['README.md', 'see [notes](' + ['..', 'notes.md'].join('/') + ')'],
      ['e2e/fixtures/a.ts', "import x from '" + ['..', '..', '..', 'other', 'x.js'].join('/') + "';"],
    ] as const;
    for (const [file, text] of flagged) expect(findOutsidePaths(file, text, names), `${file}: ${text}`).toHaveLength(1);
    const fine = [
      ['e2e/support/chromium.ts', "const debian = '/usr/bin/chromium';"],
      ['packages/meshraft/src/peer/peer-cli.test.ts', "['--data', '/proc/x'], ['--data', '/tmp/x'], '/dev/null'"],
      ['docs/workers.md', 'Sources: `packages/meshraft/src/worker/`, `/worker` and src/work/x'],
      ['e2e/fixtures/kv-page.ts', "import { A } from '../../packages/meshraft/src/kv/__tests__/workload.js';"],
      ['docs/transport.md', '`cd e2e && ../scripts/netns-run npx playwright test`, [core](../README.md)'],
      ['packages/core/src/a.ts', 'a/home/b, ~/work/x, https://example.com/work/x, $HOME/work'],
      ['docs/storage.md', "openFileStorage('/var/lib/meshraft/node-1')"],
    ] as const;
    for (const [file, text] of fine) expect(findOutsidePaths(file, text, names), `${file}: ${text}`).toEqual([]);
  });

  it('no tracked file names one', () => {
    expect(files.length).toBeGreaterThan(100);
    const offences: string[] = [];
    for (const file of files) {
      let buf: Buffer;
      try {
        buf = readFileSync(join(root, file));
      } catch {
        continue; // deleted in the work tree but not yet from the index
      }
      if (buf.includes(0)) continue; // binary
      for (const f of findOutsidePaths(file, buf.toString('utf8'), names)) offences.push(`${file}:${f.line}: ${f.text}`);
    }
    expect(offences).toEqual([]);
  });
});
