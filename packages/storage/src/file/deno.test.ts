/**
 * The file backend under Deno: Deno runs the TypeScript source directly (the `source` export
 * condition, and sloppy imports to map `.js` specifiers to `.ts` files). What Deno wrote must
 * then open in Node too: one format for both runtimes.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openFileStorage } from '@meshraft/storage/file';
import { tempDirs } from '../__tests__/temp-dir.js';

const newDir = tempDirs();
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const deno = fileURLToPath(new URL('node_modules/.bin/deno', `file://${repoRoot}`));
const script = fileURLToPath(new URL('../__tests__/deno-smoke.ts', import.meta.url));

describe('file backend under Deno', () => {
  it('saves, compacts, locks and reopens, and Node reads what Deno wrote', async () => {
    const dir = await newDir();
    const { stdout } = await promisify(execFile)(
      deno,
      ['run', '--allow-read', '--allow-write', '--allow-env', '--conditions=source', '--sloppy-imports', '--quiet', script, dir],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } },
    );
    const expected = {
      lockCode: 'DATA_DIR_LOCKED',
      firstIndex: 3,
      lastIndex: 4,
      entries: [
        [3, 1, [3, 4, 5]],
        [4, 1, [4, 5, 6]],
      ],
      hardState: { term: 1, vote: 'deno', commit: 3 },
      snapshot: [2, [9, 10, 11]],
      meta: 'deno',
    };
    expect(JSON.parse(stdout.trim())).toEqual(expected);

    const s = await openFileStorage(dir);
    expect(s.entries(3, 5).map((e) => [e.index, e.term, Array.from(e.data)])).toEqual(expected.entries);
    expect(s.initialState().hardState).toEqual(expected.hardState);
    expect(s.getMeta('runtime')).toBe('deno');
    await s.close();
  });
});
