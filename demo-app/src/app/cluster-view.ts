/**
 * @module cluster-view
 * The cluster panel: a live graph of the members (this tab in the middle, a line to each peer
 * drawn by link type with its RTT), a table of role/term/commit/applied per member as far as
 * this tab knows them, and the controls: leave, transfer leadership, disconnect (partition).
 */
import type { MemberStatus, NodeStatus } from 'meshraft';
import { h, svg } from './dom.js';

export interface ClusterActions {
  leave(): void;
  transfer(to: string): void;
  setPartitioned(on: boolean): void;
}

export interface ClusterViewState {
  readonly status: NodeStatus;
  readonly partitioned: boolean;
  readonly left: boolean;
  readonly busy: boolean;
}

const LINK_LABEL: Record<string, string> = {
  self: 'this tab',
  webrtc: 'WebRTC',
  relay: 'relay',
  memory: 'memory',
  connecting: 'connecting',
  down: 'down',
};

function roleOf(m: MemberStatus, s: NodeStatus): string {
  if (m.id === s.leader) return 'leader';
  if (m.id === s.id) return s.role === 'leader' ? 'leader' : s.role === 'preCandidate' ? 'pre-candidate' : s.role;
  return m.role === 'learner' ? 'learner' : 'follower';
}

export function renderGraph(s: NodeStatus): SVGElement {
  const W = 300;
  const H = 230;
  const cx = W / 2;
  const cy = H / 2 - 4;
  const R = 78;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Cluster graph', class: 'graph' });
  const self: MemberStatus = s.members.find((m) => m.id === s.id) ?? { id: s.id, role: 'learner', link: 'self', rttMs: 0, match: null };
  // Everyone on one circle, this tab at the bottom; this tab knows its own links only.
  const ring = [self, ...s.members.filter((m) => m.id !== s.id)];
  const pos = new Map<string, { x: number; y: number; a: number }>();
  ring.forEach((m, i) => {
    const a = Math.PI / 2 + (2 * Math.PI * i) / ring.length;
    pos.set(m.id, ring.length === 1 ? { x: cx, y: cy, a } : { x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), a });
  });
  const me = pos.get(s.id)!;
  for (const m of ring.slice(1)) {
    const p = pos.get(m.id)!;
    root.append(svg('line', { x1: me.x, y1: me.y, x2: p.x, y2: p.y, class: `link link-${m.link}` }));
    if (m.rttMs !== null && m.link !== 'down') {
      // Beside the line's middle, pushed away from the centre so labels of different lines do not meet.
      const mx = (me.x + p.x) / 2;
      const my = (me.y + p.y) / 2;
      const dx = mx - cx;
      const dy = my - cy;
      const d = Math.hypot(dx, dy) || 1;
      root.append(svg('text', { x: mx + (dx / d) * 10, y: my + (dy / d) * 10 + 3, class: 'rtt', 'text-anchor': 'middle' }, `${m.rttMs.toFixed(1)} ms`));
    }
  }
  for (const m of ring) {
    const p = pos.get(m.id)!;
    const role = roleOf(m, s);
    const isSelf = m.id === s.id;
    root.append(svg('circle', { cx: p.x, cy: p.y, r: isSelf ? 17 : 14, class: `node role-${role}${isSelf ? ' self' : ''}` }));
    root.append(svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle', class: `node-label${role === 'leader' ? ' on-dark' : ''}` }, ROLE_LETTER[role] ?? '?'));
    // Names go outside the circle (below a lone node).
    const OUT = 30;
    const lx = p.x + (ring.length === 1 ? 0 : Math.cos(p.a) * OUT);
    const ly = p.y + (ring.length === 1 ? OUT : Math.sin(p.a) * OUT) + 3;
    root.append(svg('text', { x: lx, y: ly, 'text-anchor': 'middle', class: 'node-name' }, isSelf ? `${m.id} (you)` : m.id));
  }
  return root;
}

const ROLE_LETTER: Record<string, string> = { leader: 'L', follower: 'F', learner: 'l', candidate: 'C', 'pre-candidate': 'P' };

/** A role as people say it. */
export function roleLabel(s: NodeStatus): string {
  return s.role === 'preCandidate' ? 'pre-candidate' : s.role;
}

/** Redraws `root` only when `key` changed: a redraw under the pointer would swallow a click. */
const drawn = new WeakMap<HTMLElement, string>();
export function drawIfChanged(root: HTMLElement, key: string, draw: () => void): void {
  if (drawn.get(root) === key) return;
  drawn.set(root, key);
  draw();
}

/** The graph, the legend and the member table. */
export function renderCluster(root: HTMLElement, s: NodeStatus): void {
  const rows = s.members.map((m) =>
    h(
      'tr',
      { 'data-member': m.id, class: m.id === s.id ? 'self' : '' },
      h('th', { scope: 'row' }, m.id === s.id ? `${m.id} (you)` : m.id),
      // A hidden tab still votes but never campaigns (and is never handed leadership).
      h('td', {}, m.campaign === false ? `${roleOf(m, s)} (tab hidden)` : roleOf(m, s)),
      h('td', {}, m.id === s.id ? String(s.term) : '–'),
      h('td', {}, m.id === s.id ? String(s.commit) : '–'),
      h('td', {}, m.id === s.id ? String(s.applied) : m.match !== null ? `≥ ${m.match}` : '–'),
      h('td', { class: `link-cell link-${m.link}` }, LINK_LABEL[m.link] ?? m.link),
      h('td', {}, m.id === s.id || m.rttMs === null ? '–' : `${m.rttMs.toFixed(1)} ms`),
    ),
  );
  const table = h(
    'table',
    { class: 'members' },
    h('caption', { text: `term ${s.term} · commit ${s.commit} · applied ${s.applied} · leader ${s.leader ?? 'none'}${s.joint ? ' · membership change in progress' : ''}` }),
    h('thead', {}, h('tr', {}, ...['member', 'role', 'term', 'commit', 'applied', 'link', 'RTT'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, ...rows),
  );
  root.replaceChildren(
    renderGraph(s),
    h('p', { class: 'legend' }, h('span', { class: 'key key-webrtc' }, 'WebRTC'), ' ', h('span', { class: 'key key-relay' }, 'relay'), ' ', h('span', { class: 'key key-down' }, 'down'), ' — "applied" of other members is the leader\'s replication match.'),
    table,
  );
}

export interface ControlElements {
  readonly partition: HTMLButtonElement;
  readonly target: HTMLSelectElement;
  readonly transfer: HTMLButtonElement;
  readonly leave: HTMLButtonElement;
}

/** Wires the panel's controls (static elements of the page) to the actions. */
export function bindControls(c: ControlElements, actions: ClusterActions, partitioned: () => boolean): void {
  c.partition.addEventListener('click', () => actions.setPartitioned(!partitioned()));
  c.transfer.addEventListener('click', () => {
    if (c.target.value) actions.transfer(c.target.value);
  });
  c.leave.addEventListener('click', () => actions.leave());
}

/** Updates the controls in place, so an open drop-down or a pressed button is not replaced. */
export function updateControls(c: ControlElements, st: ClusterViewState): void {
  const s = st.status;
  const off = st.left || st.busy;
  c.partition.textContent = st.partitioned ? 'Reconnect this tab' : 'Disconnect this tab';
  c.partition.setAttribute('aria-pressed', String(st.partitioned));
  c.partition.disabled = st.left;
  const voters = s.members.filter((m) => m.role === 'voter' && m.id !== s.leader).map((m) => m.id);
  const current = [...c.target.options].map((o) => o.value);
  if (current.join('\n') !== voters.join('\n')) {
    const keep = c.target.value;
    c.target.replaceChildren(...voters.map((id) => h('option', { value: id, text: id === s.id ? `${id} (this tab)` : id })));
    if (voters.includes(keep)) c.target.value = keep;
  }
  c.target.disabled = off || voters.length === 0;
  c.transfer.disabled = off || voters.length === 0 || s.leader === null;
  c.leave.disabled = off || st.partitioned;
}
