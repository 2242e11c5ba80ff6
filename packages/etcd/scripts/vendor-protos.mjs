#!/usr/bin/env node
/**
 * Vendors etcd's rpc.proto, kv.proto, auth.proto and the v3lock/v3election service protos into
 * ../proto from a git clone of etcd:
 *
 *   node packages/etcd/scripts/vendor-protos.mjs PATH/TO/etcd v3.5.33
 *
 * It strips what only etcd's Go build needs (gogoproto options, the google.api.http routes of
 * grpc-gateway, and their imports) and points the imports at the sibling files, so
 * @grpc/proto-loader can load them with no include path. Messages, fields and services are left
 * exactly as upstream has them. Each file's first line records the tag and commit.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILES = [
  ['api/etcdserverpb/rpc.proto', 'rpc.proto'],
  ['api/mvccpb/kv.proto', 'kv.proto'],
  ['api/authpb/auth.proto', 'auth.proto'],
  ['server/etcdserver/api/v3lock/v3lockpb/v3lock.proto', 'v3lock.proto'],
  ['server/etcdserver/api/v3election/v3electionpb/v3election.proto', 'v3election.proto'],
];

const [repo, ref] = process.argv.slice(2);
if (!repo || !ref) {
  console.error('usage: vendor-protos.mjs ETCD_GIT_DIR TAG');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
const commit = git('rev-parse', `${ref}^{commit}`).trim();
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto');

/** Removes `option (google.api.http) = { ... };` blocks: they span lines and may nest braces. */
function stripHttpOptions(text) {
  const lines = text.split('\n');
  const kept = [];
  let depth = 0;
  for (const line of lines) {
    if (depth === 0 && !/^\s*option \(google\.api\.http\) = \{/.test(line)) {
      kept.push(line);
      continue;
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
  }
  return kept.join('\n');
}

export function strip(text) {
  let s = stripHttpOptions(text);
  s = s.replace(/^import "gogoproto\/gogo\.proto";\n/m, '');
  s = s.replace(/^\/\/ for grpc-gateway\n/m, '');
  s = s.replace(/^import "google\/api\/annotations\.proto";\n/m, '');
  s = s.replace(/^option \(gogoproto\.[a-z_]+\) = [a-z]+;\n/gm, '');
  // Field options such as [(gogoproto.nullable) = false]; none are left in 3.5, kept for safety.
  s = s.replace(/ ?\[\(gogoproto\.[a-z_]+\) = [^\]]+\]/g, '');
  s = s.replace(/^import "etcd\/api\/(?:mvccpb|authpb|etcdserverpb)\/([a-z]+\.proto)";$/gm, 'import "$1";');
  // An rpc whose only option was removed keeps an empty body: `{\n  }` -> `{}`.
  s = s.replace(/\{\s*\}/g, '{}');
  s = s.replace(/\n{3,}/g, '\n\n');
  const left = s.split('\n').filter((l) => /gogoproto|google\.api/.test(l));
  if (left.length > 0) throw new Error(`annotations survived stripping:\n${left.join('\n')}`);
  return s;
}

for (const [from, to] of FILES) {
  const text = git('show', `${commit}:${from}`);
  const header = `// Vendored from etcd ${ref} (commit ${commit}), ${from}; stripped by scripts/vendor-protos.mjs.\n`;
  writeFileSync(join(out, to), header + strip(text));
  console.log(`${from} -> proto/${to}`);
}
console.log(`etcd ${ref} ${commit}`);
