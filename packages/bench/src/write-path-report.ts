/**
 * @module write-path-report
 * Splits one-client writes into the legs of their path, from the write-trace logs of the leader
 * and its followers (MESHRAFT_WRITE_TRACE; all processes on one host, so their clocks agree).
 * A write is the leader's events from `http-in` to `http-out`; its entry index E is the first
 * `ready` after its `propose`. A follower's handling of E starts at its `ready E` (after the `rx`
 * that brought it) and ends when its ack's send call returns; the follower that finished first is
 * the one whose ack completed the quorum of three.
 */
export interface TraceEvent {
  readonly at: number;
  readonly event: string;
  readonly a: string;
  readonly b: string;
}

/** Parses a write-trace log (`<epoch ms> <event> <a> <b>` per line). */
export function parseTrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const line of text.split('\n')) {
    const [at, event, a = '', b = ''] = line.split(' ');
    if (at !== undefined && event !== undefined && at !== '') out.push({ at: Number(at), event, a, b });
  }
  return out;
}

/** The legs, in path order (ms each); `leader save` runs beside the followers' legs. */
export const LEGS = [
  'HTTP in → propose',
  'propose → first append send starts',
  'leader: both append sends (blocking calls)',
  'hop: leader → first follower (receive)',
  'follower: receive → save starts',
  'follower: save (fsync)',
  'follower: save done → ack send starts',
  'follower: ack send (blocking call)',
  'hop: follower → leader (ack stepped)',
  'leader: ack → applied',
  'leader: applied → HTTP reply',
  'leader save (fsync), beside the above',
  'total: HTTP in → reply',
] as const;
export type Leg = (typeof LEGS)[number];

interface LeaderWrite {
  readonly in: number;
  propose?: number;
  entry?: number;
  tx0?: number;
  tx1?: number;
  sends: number;
  save0?: number;
  save1?: number;
  ack?: number;
  applied?: number;
  out?: number;
}

interface FollowerEntry {
  readonly rx: number;
  save0?: number;
  save1?: number;
  tx0?: number;
  tx1?: number;
}

function leaderWrites(events: readonly TraceEvent[], from: number): LeaderWrite[] {
  const writes: LeaderWrite[] = [];
  let w: LeaderWrite | undefined;
  for (const e of events) {
    if (e.event === 'http-in') {
      w = e.at >= from ? { in: e.at, sends: 0 } : undefined;
      continue;
    }
    if (!w) continue;
    const hasEntry = w.entry !== undefined;
    if (e.event === 'propose' && w.propose === undefined) w.propose = e.at;
    else if (e.event === 'ready' && e.a !== '' && !hasEntry && w.propose !== undefined) w.entry = Number(e.a);
    else if (e.event === 'save0' && hasEntry && w.save0 === undefined) w.save0 = e.at;
    else if (e.event === 'save1' && w.save0 !== undefined && w.save1 === undefined) w.save1 = e.at;
    else if (e.event === 'tx0' && hasEntry && w.sends < 2) w.tx0 ??= e.at;
    else if (e.event === 'tx1' && w.tx0 !== undefined && w.sends < 2) {
      w.tx1 = e.at;
      w.sends++;
    }
    else if (e.event === 'step' && e.a === 'appResp' && hasEntry && Number(e.b) === w.entry) w.ack ??= e.at;
    else if (e.event === 'applied' && hasEntry && Number(e.a) >= w.entry!) w.applied ??= e.at;
    else if (e.event === 'http-out') {
      w.out = e.at;
      writes.push(w);
      w = undefined;
    }
  }
  return writes;
}

function followerEntries(events: readonly TraceEvent[]): Map<number, FollowerEntry> {
  const byEntry = new Map<number, FollowerEntry>();
  let lastRx = NaN;
  let cur: FollowerEntry | undefined;
  for (const e of events) {
    if (e.event === 'rx') lastRx = e.at;
    else if (e.event === 'ready' && e.a !== '') {
      cur = { rx: lastRx };
      byEntry.set(Number(e.a), cur);
    } else if (cur) {
      if (e.event === 'save0') cur.save0 ??= e.at;
      else if (e.event === 'save1' && cur.save0 !== undefined) cur.save1 ??= e.at;
      else if (e.event === 'tx0' && cur.save1 !== undefined) cur.tx0 ??= e.at;
      else if (e.event === 'tx1' && cur.tx0 !== undefined) {
        cur.tx1 = e.at;
        cur = undefined;
      }
    }
  }
  return byEntry;
}

/** Per leg, every write's duration in ms (writes whose legs are not all seen are left out). */
export function writeLegs(leader: readonly TraceEvent[], followers: readonly (readonly TraceEvent[])[], from = -Infinity): Map<Leg, number[]> {
  const legs = new Map<Leg, number[]>(LEGS.map((l) => [l, []]));
  const fs = followers.map(followerEntries);
  for (const w of leaderWrites(leader, from)) {
    const { propose, entry, tx0, tx1, save0, save1, ack, applied, out } = w;
    if (propose === undefined || entry === undefined || tx0 === undefined || tx1 === undefined || save0 === undefined) continue;
    if (save1 === undefined || ack === undefined || applied === undefined || out === undefined) continue;
    const done = fs.map((m) => m.get(entry)).filter((f): f is Required<FollowerEntry> => f?.tx1 !== undefined && f.save0 !== undefined && f.save1 !== undefined && f.tx0 !== undefined);
    if (done.length === 0) continue;
    const f = done.reduce((x, y) => (y.tx1 < x.tx1 ? y : x));
    const values: [Leg, number][] = [
      ['HTTP in → propose', propose - w.in],
      ['propose → first append send starts', tx0 - propose],
      ['leader: both append sends (blocking calls)', tx1 - tx0],
      ['hop: leader → first follower (receive)', f.rx - tx0],
      ['follower: receive → save starts', f.save0 - f.rx],
      ['follower: save (fsync)', f.save1 - f.save0],
      ['follower: save done → ack send starts', f.tx0 - f.save1],
      ['follower: ack send (blocking call)', f.tx1 - f.tx0],
      ['hop: follower → leader (ack stepped)', ack - f.tx1],
      ['leader: ack → applied', applied - ack],
      ['leader: applied → HTTP reply', out - applied],
      ['leader save (fsync), beside the above', save1 - save0],
      ['total: HTTP in → reply', out - w.in],
    ];
    for (const [leg, ms] of values) legs.get(leg)!.push(ms);
  }
  return legs;
}
