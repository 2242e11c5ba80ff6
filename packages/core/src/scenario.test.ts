/** Runs the scenario scripts in testdata/ (see __tests__/scenario.ts for the commands). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScenario } from './__tests__/scenario.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('scenarios', () => {
  it('has scenario files', () => expect(files.length).toBeGreaterThan(0));
  for (const f of files) {
    it(f, () => runScenario(f, readFileSync(join(dir, f), 'utf8')));
  }
});
