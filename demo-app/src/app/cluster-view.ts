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

export function renderCluster(root: HTMLElement, st: ClusterViewState, actions: ClusterActions): void {
  const s = st.status;
  const rows = s.members.map((m) =>
    h(
      'tr',
      { 'data-member': m.id, class: m.id === s.id ? 'self' : '' },
      h('th', { scope: 'row' }, m.id === s.id ? `${m.id} (you)` : m.id),
      h('td', {}, roleOf(m, s)),
      h('td', {}, m.id === s.id ? String(s.term) : '–'),
      h('td', {}, m.id === s.id ? String(s.commit) : '–'),
      h('td', {}, m.id === s.id ? String(s.applied) : m.match !== null ? `≥ ${m.match}` : '–'),
      h('td', { class: `link-cell link-${m.link}` }, LINK_LABEL[m.link] ?? m.link),
      h('td', {}, m.id === s.id || m.rttMs === null ? '–' : `${m.rttMs.toFixed(1)} ms`),
    ),
  );
  const voters = s.members.filter((m) => m.role === 'voter' && m.id !== s.leader);
  const select = h('select', { id: 'transfer-target', 'aria-label': 'New leader' });
  for (const v of voters) select.append(h('option', { value: v.id, text: v.id === s.id ? `${v.id} (this tab)` : v.id }));
  const off = st.left || st.busy;
  const table = h(
    'table',
    { class: 'members' },
    h('caption', { text: `term ${s.term} · commit ${s.commit} · applied ${s.applied} · leader ${s.leader ?? 'none'}` }),
    h('thead', {}, h('tr', {}, ...['member', 'role', 'term', 'commit', 'applied', 'link', 'RTT'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, ...rows),
  );
  root.replaceChildren(
    renderGraph(s),
    h('p', { class: 'legend' }, h('span', { class: 'key key-webrtc' }, 'WebRTC'), ' ', h('span', { class: 'key key-relay' }, 'relay'), ' ', h('span', { class: 'key key-down' }, 'down'), ' — "applied" of other members is the leader\'s replication match.'),
    table,
    h(
      'div',
      { class: 'controls' },
      h(
        'button',
        { id: 'partition-button', 'aria-pressed': st.partitioned ? 'true' : 'false', disabled: st.left, onclick: () => actions.setPartitioned(!st.partitioned) },
        st.partitioned ? 'Reconnect this tab' : 'Disconnect this tab',
      ),
      h('span', { class: 'transfer' }, select, h('button', { id: 'transfer-button', disabled: off || voters.length === 0 || s.leader === null, onclick: () => select.value && actions.transfer(select.value) }, 'Transfer leadership')),
      h('button', { id: 'leave-button', class: 'danger', disabled: off || st.partitioned, onclick: () => actions.leave() }, 'Leave cluster'),
    ),
  );
}
