/**
 * @module __tests__/transpile-for-node
 * Turns a TypeScript script and everything it imports from the workspace into plain ES modules in
 * a temporary directory, so a child process starts with plain `node` in tens of milliseconds
 * instead of going through a TypeScript loader. The crash test spawns dozens of children.
 * Type-only syntax is stripped per file (ts.transpileModule); no type checking happens here.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** Workspace packages by the names they are imported with (their `source` export). */
const WORKSPACE: Readonly<Record<string, string>> = {
  '@meshraft/core': 'packages/core/src/index.ts',
  '@meshraft/storage': 'packages/storage/src/index.ts',
  '@meshraft/storage/file': 'packages/storage/src/file/index.ts',
};

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)'([^']+)'/g;

/** The .ts file a specifier in `fromFile` refers to, or undefined for node: builtins. */
function resolveSource(specifier: string, fromFile: string): string | undefined {
  if (specifier.startsWith('node:')) return undefined;
  const workspace = WORKSPACE[specifier];
  if (workspace !== undefined) return join(repoRoot, workspace);
  if (specifier.startsWith('.')) return resolve(dirname(fromFile), specifier.replace(/\.js$/, '.ts'));
  throw new Error(`${fromFile} imports ${specifier}, which transpileForNode cannot provide`);
}

function outPath(outDir: string, source: string): string {
  return join(outDir, relative(repoRoot, source).replace(/\.ts$/, '.js'));
}

/** Transpiles `entry` (a .ts path) and its imports into `outDir`; returns the entry's .js path. */
export async function transpileForNode(entry: string, outDir: string): Promise<string> {
  const done = new Set<string>();
  const pending = [resolve(entry)];
  while (pending.length > 0) {
    const source = pending.pop()!;
    if (done.has(source)) continue;
    done.add(source);
    const { outputText } = ts.transpileModule(await readFile(source, 'utf8'), {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = outPath(outDir, source);
    // Point every import at the transpiled file, so no package resolution is needed at run time.
    const js = outputText.replace(SPECIFIER, (match, prefix: string, specifier: string) => {
      const dep = resolveSource(specifier, source);
      if (dep === undefined) return match;
      pending.push(dep);
      let rel = relative(dirname(target), outPath(outDir, dep));
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `${prefix}'${rel}'`;
    });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, js);
  }
  return outPath(outDir, resolve(entry));
}
