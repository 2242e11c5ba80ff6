/**
 * A tiny driver for scenario scripts (like etcd's testdata/*.txt): one command per line, run
 * against the in-process Network. `expect` lines make the assertions; a failure names the file
 * and line. Commands:
 *   cluster <ids...> [prevote=off] [checkquorum=off]   start a cluster (founded by a snapshot at 1)
 *   campaign <id> | stabilize | tick [n] | propose <id> <data> | read <id> <ctx>
 *   isolate <id> | cut <a> <b> | recover | restart <id> | transfer <from> <to> | compact <id>
 *   join <id> | conf <id> <addVoter|addLearner|remove>:<node>... [explicit] | leave <id>
 *   expect leader <id|none> | expect role <id> <role> | expect term <id> <n> | expect commit <id> <n>
 *   expect applied <id> <data,...|-> | expect reads <id> <ctx,...|-> | expect voters <id> <ids,...> [| <outgoing,...>]
 */
import type { ConfChangeSingle } from '../conf-change.js';
import type { NodeOptions } from './network.js';
import { Network, confState, dec, enc } from './network.js';

export function runScenario(name: string, text: string): void {
  let net: Network | null = null;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const [cmd, ...args] = line.split(/\s+/) as [string, ...string[]];
    const where = `${name}:${i + 1}: ${line}`;
    const need = (): Network => {
      if (net === null) throw new Error(`${where}: no cluster yet`);
      return net;
    };
    const arg = (k: number): string => {
      const a = args[k];
      if (a === undefined) throw new Error(`${where}: missing argument ${k + 1}`);
      return a;
    };
    const list = (s: string): string[] => (s === '-' ? [] : s.split(','));
    const check = (got: unknown, want: unknown): void => {
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(`${where}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
    };
    switch (cmd) {
      case 'cluster': {
        const ids = args.filter((a) => !a.includes('='));
        const opts: NodeOptions = { preVote: !args.includes('prevote=off'), checkQuorum: !args.includes('checkquorum=off') };
        net = new Network(ids, opts, 1, confState(ids), 'snapshot');
        return;
      }
      case 'campaign':
        need().node(arg(0)).campaign();
        return;
      case 'stabilize':
        need().stabilize();
        return;
      case 'tick':
        need().tickAll(Number(args[0] ?? 1));
        return;
      case 'propose':
        need().node(arg(0)).propose(enc(arg(1)));
        return;
      case 'read':
        need().node(arg(0)).readIndex(enc(arg(1)));
        return;
      case 'isolate':
        need().isolate(arg(0));
        return;
      case 'cut':
        need().cut(arg(0), arg(1));
        return;
      case 'recover':
        need().recover();
        return;
      case 'restart':
        need().restart(arg(0));
        return;
      case 'transfer':
        need().node(arg(0)).transferLeadership(arg(1));
        return;
      case 'compact':
        need().compact(arg(0));
        return;
      case 'join':
        need().join(arg(0), 500 + i);
        return;
      case 'conf': {
        const changes = args.slice(1).filter((a) => a !== 'explicit').map((a): ConfChangeSingle => {
          const [type, node] = a.split(':') as [ConfChangeSingle['type'], string];
          return { type, node };
        });
        need().node(arg(0)).proposeConfChange(args.includes('explicit') ? { changes, transition: 'explicit' } : { changes });
        return;
      }
      case 'leave':
        need().node(arg(0)).proposeConfChange({ changes: [] });
        return;
      case 'expect': {
        const n = need();
        const what = arg(0);
        if (what === 'leader') return check(n.leader() ?? 'none', arg(1));
        const id = arg(1);
        const st = n.node(id).status();
        if (what === 'role') return check(st.role, arg(2));
        if (what === 'term') return check(st.term, Number(arg(2)));
        if (what === 'commit') return check(st.commit, Number(arg(2)));
        if (what === 'applied') return check(n.appliedData(id), list(arg(2)));
        if (what === 'reads') return check(n.get(id).readStates.map((r) => dec(r.context)), list(arg(2)));
        if (what === 'voters') {
          const cs = n.get(id).storage.initialState().confState;
          check(cs.voters, list(arg(2)));
          if (args[3] === '|') check(cs.votersOutgoing, list(arg(4)));
          return;
        }
        throw new Error(`${where}: unknown expectation`);
      }
      default:
        throw new Error(`${where}: unknown command`);
    }
  });
}
