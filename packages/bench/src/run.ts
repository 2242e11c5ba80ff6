/**
 * `pnpm bench [case...]`: runs every benchmark case in ./cases (or the named ones) and prints one
 * JSON object per line: { bench, metric, value, unit, ... }.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchCase } from './bench-case.js';

const casesDir = join(dirname(fileURLToPath(import.meta.url)), 'cases');

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = readdirSync(casesDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  const available = files.map((f) => basename(f, '.ts'));
  const unknown = wanted.filter((w) => !available.includes(w));
  if (unknown.length > 0) {
    console.error(`unknown bench case(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
    process.exit(2);
  }
  for (const name of available) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    const mod = (await import(pathToFileURL(join(casesDir, `${name}.ts`)).href)) as { default: BenchCase };
    for await (const result of mod.default.run()) {
      console.log(JSON.stringify({ bench: name, ...result }));
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
