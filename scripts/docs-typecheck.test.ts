/**
 * Every ```ts block in README.md and docs/*.md compiles as written. Each block becomes one ES
 * module (as a user's file would be) placed inside packages/meshraft, so `meshraft`,
 * `meshraft/kv`, `@meshraft/*` and `@roamhq/wrtc` resolve as in the workspace (the `source`
 * condition of tsconfig.base.json), and is typechecked with the repository's strict options.
 * A fragment declares what it uses (`declare const node: ...`); pseudo-code is tagged ```text.
 * A block meant for a place inside a package (a storage backend's relative imports) says where
 * with `<!-- ts-check-dir: packages/storage/src/mine -->` on the line before its fence.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the blocks live virtually: a package that depends on every published one. */
const home = join(root, 'packages/meshraft/__doc_blocks__');

export interface CodeBlock {
  readonly doc: string;
  /** Where the block is checked, relative to the root (`<!-- ts-check-dir: DIR -->` before it). */
  readonly dir?: string;
  /** 1-based line of the block's first code line. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a markdown text. */
export function tsBlocks(doc: string, markdown: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let open: { line: number; code: string[]; ts: boolean; fence: string; dir?: string } | null = null;
  lines.forEach((text, i) => {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(text);
    if (open === null) {
      const dir = /^<!-- ts-check-dir: (\S+) -->$/.exec(lines[i - 1] ?? '')?.[1];
      if (fence) open = { line: i + 2, code: [], ts: /^(ts|typescript)$/i.test(fence[3]!), fence: fence[2]!, ...(dir && { dir }) };
    } else if (fence && fence[2]!.startsWith(open.fence) && fence[3] === '') {
      if (open.ts) out.push({ doc, line: open.line, code: open.code.join('\n'), ...(open.dir && { dir: open.dir }) });
      open = null;
    } else {
      open.code.push(text);
    }
  });
  return out;
}

function docFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs.sort()];
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'packages/meshraft/tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
  return { ...parsed.options, noEmit: true, incremental: false, composite: false, rootDir: root };
}

/** Typechecks the blocks; returns one message per error, as `doc:line: message`. */
export function typecheckBlocks(blocks: readonly CodeBlock[]): string[] {
  const files = new Map<string, CodeBlock>();
  blocks.forEach((b, i) => {
    const name = `${b.doc.replace(/[^\w]/g, '_')}_${b.line}_${i}.ts`;
    files.set(join(b.dir ? join(root, b.dir) : home, name), { ...b, code: `${b.code}\nexport {};\n` });
  });
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f)?.code ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, onError, create) => {
    const block = files.get(f);
    return block ? ts.createSourceFile(f, block.code, lang, true) : getSourceFile.call(host, f, lang, onError, create);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const f of files.keys()) {
    const sf = program.getSourceFile(f)!;
    diagnostics.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  }
  return diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const block = d.file ? files.get(d.file.fileName) : undefined;
    if (!d.file || d.start === undefined) return `(options): ${text}`;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return block ? `${block.doc}:${block.line + line}: TS${d.code} ${text}` : `${relative(root, d.file.fileName)}:${line + 1}: TS${d.code} ${text}`;
  });
}

describe('TypeScript in the README and docs', () => {
  it('extracts ts blocks only, with their lines', () => {
    const md = ['# x', '```ts', 'const a = 1;', '```', '```sh', 'ls', '```', '<!-- ts-check-dir: packages/x -->', '````typescript', 'let b', '````', '```text', 'no'].join('\n');
    expect(tsBlocks('x.md', md)).toEqual([
      { doc: 'x.md', line: 3, code: 'const a = 1;' },
      { doc: 'x.md', line: 10, code: 'let b', dir: 'packages/x' },
    ]);
  });

  it('reports an error at its line in the doc (the check can fail)', () => {
    const errors = typecheckBlocks([{ doc: 'bad.md', line: 10, code: "import { createNode } from 'meshraft';\n\nconst n: number = createNode;" }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^bad\.md:12: TS2322 /);
    expect(typecheckBlocks([{ doc: 'undef.md', line: 1, code: 'const x = isFirstMember;' }])[0]).toMatch(/TS2304 Cannot find name 'isFirstMember'/);
  });

  it('every block compiles', { timeout: 120_000 }, () => {
    const blocks = docFiles().flatMap((doc) => tsBlocks(doc, readFileSync(join(root, doc), 'utf8')));
    expect(blocks.length).toBeGreaterThan(10);
    expect(typecheckBlocks(blocks)).toEqual([]);
  });
});
