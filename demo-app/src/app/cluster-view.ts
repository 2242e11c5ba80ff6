/**
 * @module cluster-view
 * The cluster panel: a live graph of the members (this tab in the middle, a line to each peer
 * drawn by link type with its RTT), a table of role/term/commit/applied per member as far as
 * this tab knows them, and the controls: leave, transfer leadership, disconnect (partition).
 * Members are shown by the name they typed (member-names.ts) beside their id. Members this tab
 * cannot reach (they left or are cut off; link `down`) are not drawn and not offered as transfer
 * targets; while they are still in the configuration, a line under the table names them.
 */
import type { MemberStatus, NodeStatus } from 'meshraft';
import { describeRelayReason } from '@meshraft/transport';
import { h, svg } from './dom.js';
import { displayName } from './member-names.js';

export interface ClusterActions {
  leave(): void;
  transfer(to: string): void;
  setPartitioned(on: boolean): void;
}

export interface ClusterViewState {
  readonly status: NodeStatus;
  readonly names: ReadonlyMap<string, string>;
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

/** Members drawn and listed: this tab and those it can reach. */
export function presentMembers(s: NodeStatus): MemberStatus[] {
  return s.members.filter((m) => m.id === s.id || m.link !== 'down');
}

/** Members in the configuration this tab cannot reach (left, closed, or cut off). */
export function absentMembers(s: NodeStatus): MemberStatus[] {
  return s.members.filter((m) => m.id !== s.id && m.link === 'down');
}

/** The link as people read it (the reason for the relay goes on a line of its own). */
function linkText(m: MemberStatus): string {
  if (m.link === 'webrtc' && m.route && (m.route.local === 'relay' || m.route.remote === 'relay')) return 'WebRTC via TURN';
  return LINK_LABEL[m.link] ?? m.link;
}

/** Shortens a graph label; the full text goes into the element's tooltip. */
function short(text: string, max = 18): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function roleOf(m: MemberStatus, s: NodeStatus): string {
  if (m.id === s.leader) return 'leader';
  if (m.id === s.id) return s.role === 'leader' ? 'leader' : s.role === 'preCandidate' ? 'pre-candidate' : s.role;
  return m.role === 'learner' ? 'learner' : 'follower';
}

export function renderGraph(s: NodeStatus, names: ReadonlyMap<string, string> = new Map()): SVGElement {
  // Wide enough that an 18-character label beside a node on the left or right fits inside.
  const W = 360;
  const H = 240;
  const cx = W / 2;
  const cy = H / 2;
  const R = 80;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Cluster graph', class: 'graph' });
  const self: MemberStatus = s.members.find((m) => m.id === s.id) ?? { id: s.id, role: 'learner', link: 'self', rttMs: 0, match: null };
  // Everyone on one circle, this tab at the bottom; this tab knows its own links only.
  const ring = [self, ...presentMembers(s).filter((m) => m.id !== s.id)];
  const pos = new Map<string, { x: number; y: number; a: number }>();
  ring.forEach((m, i) => {
    const a = Math.PI / 2 + (2 * Math.PI * i) / ring.length;
    pos.set(m.id, ring.length === 1 ? { x: cx, y: cy, a } : { x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), a });
  });
  // Centre the nodes' bounding box: three nodes on a circle leave its top third empty otherwise.
  const ys = [...pos.values()].map((p) => p.y);
  const shift = cy - (Math.min(...ys) + Math.max(...ys)) / 2;
  for (const p of pos.values()) p.y += shift;
  const me = pos.get(s.id)!;
  for (const m of ring.slice(1)) {
    const p = pos.get(m.id)!;
    root.append(svg('line', { x1: me.x, y1: me.y, x2: p.x, y2: p.y, class: `link link-${m.link}` }));
    if (m.rttMs !== null && m.link !== 'down') {
      // Beside the line's middle, on the side away from the centre, so it neither covers the line
      // nor meets the label of another line.
      const mx = (me.x + p.x) / 2;
      const my = (me.y + p.y) / 2;
      const len = Math.hypot(p.x - me.x, p.y - me.y) || 1;
      let nx = -(p.y - me.y) / len;
      let ny = (p.x - me.x) / len;
      if (nx * (mx - cx) + ny * (my - (cy + shift)) < 0) [nx, ny] = [-nx, -ny];
      const anchor = nx > 0.3 ? 'start' : nx < -0.3 ? 'end' : 'middle';
      root.append(svg('text', { x: mx + nx * 6, y: my + ny * 6 + 3, class: 'rtt', 'text-anchor': anchor }, `${m.rttMs.toFixed(1)} ms`));
    }
  }
  for (const m of ring) {
    const p = pos.get(m.id)!;
    const role = roleOf(m, s);
    const isSelf = m.id === s.id;
    root.append(svg('circle', { cx: p.x, cy: p.y, r: isSelf ? 17 : 14, class: `node role-${role}${isSelf ? ' self' : ''}` }));
    root.append(svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle', class: `node-label${role === 'leader' ? ' on-dark' : ''}` }, ROLE_LETTER[role] ?? '?'));
    // Names go outside the circle, away from the centre (below a lone node), anchored on the side
    // facing the node so that a long name grows outwards instead of across the circle.
    const full = `${names.get(m.id) ?? m.id}${isSelf ? ' (you)' : ''}`;
    const radius = (isSelf ? 17 : 14) + 6;
    const dx = ring.length === 1 ? 0 : Math.cos(p.a);
    const dy = ring.length === 1 ? 1 : Math.sin(p.a);
    const anchor = dx > 0.3 ? 'start' : dx < -0.3 ? 'end' : 'middle';
    const lx = p.x + dx * radius;
    const ly = p.y + dy * radius + (dy > 0.3 ? 9 : dy < -0.3 ? -2 : 3);
    const label = svg('text', { x: lx, y: ly, 'text-anchor': anchor, class: 'node-name' }, short(full));
    label.append(svg('title', {}, displayName(m.id, names)));
    root.append(label);
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
export function renderCluster(root: HTMLElement, s: NodeStatus, names: ReadonlyMap<string, string> = new Map()): void {
  const rows = presentMembers(s).map((m) =>
    h(
      'tr',
      { 'data-member': m.id, class: m.id === s.id ? 'self' : '' },
      h(
        'th',
        { scope: 'row' },
        h('span', { class: 'member-name', text: `${names.get(m.id) ?? '(no name yet)'}${m.id === s.id ? ' (you)' : ''}` }),
        ' ',
        h('span', { class: 'member-id', text: m.id }),
      ),
      // A hidden tab still votes but never campaigns (and is never handed leadership).
      h('td', {}, m.campaign === false ? `${roleOf(m, s)} (tab hidden)` : roleOf(m, s)),
      // Term and commit are this tab's own (in the caption); of others it knows only the match.
      h('td', {}, m.id === s.id ? String(s.applied) : m.match !== null ? `≥ ${m.match}` : '–'),
      h(
        'td',
        { class: `link-cell link-${m.link}`, ...(m.relayReason ? { 'data-relay-reason': m.relayReason } : {}) },
        linkText(m),
        m.link === 'relay' && m.relayReason ? h('span', { class: 'reason', text: describeRelayReason(m.relayReason) }) : null,
      ),
      h('td', { class: 'rtt-cell' }, m.id === s.id || m.rttMs === null ? '–' : `${m.rttMs.toFixed(1)} ms`),
    ),
  );
  const table = h(
    'table',
    { class: 'members' },
    h('caption', { text: `term ${s.term} · commit ${s.commit} · applied ${s.applied} · leader ${s.leader ?? 'none'}${s.joint ? ' · membership change in progress' : ''}` }),
    h('thead', {}, h('tr', {}, ...['member', 'role', 'applied', 'link', 'RTT'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, ...rows),
  );
  const absent = absentMembers(s);
  const away = absent.length === 0
    ? null
    : h('p', { class: 'absent', 'data-testid': 'absent-members' },
      `Not reachable from this tab (left, closed or cut off), still in the configuration until replaced: ${absent.map((m) => displayName(m.id, names)).join(', ')}.`);
  root.replaceChildren(
    renderGraph(s, names),
    h('p', { class: 'legend' }, h('span', { class: 'key key-webrtc' }, 'WebRTC'), ' ', h('span', { class: 'key key-relay' }, 'relay'), ' ', h('span', { class: 'key key-down' }, 'down'), ' — "applied" of other members is the leader\'s replication match.'),
    table,
    ...(away ? [away] : []),
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
  // Only reachable voters that campaign can take over: a departed or hidden one would ignore it.
  const voters = presentMembers(s).filter((m) => m.role === 'voter' && m.id !== s.leader && m.campaign !== false).map((m) => m.id);
  const label = (id: string): string => (id === s.id ? `${displayName(id, st.names)} (this tab)` : displayName(id, st.names));
  const current = [...c.target.options].map((o) => `${o.value}\t${o.text}`);
  if (current.join('\n') !== voters.map((id) => `${id}\t${label(id)}`).join('\n')) {
    const keep = c.target.value;
    c.target.replaceChildren(...voters.map((id) => h('option', { value: id, text: label(id) })));
    if (voters.includes(keep)) c.target.value = keep;
  }
  c.target.disabled = off || voters.length === 0;
  c.transfer.disabled = off || voters.length === 0 || s.leader === null;
  c.leave.disabled = off || st.partitioned;
}
