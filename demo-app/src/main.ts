/**
 * @module main
 * The demo page: a collaborative board in a named room. Every tab is a Raft member; the board is
 * the replicated KV store, persisted in this tab's IndexedDB. Boots the session, then redraws the
 * board when entries apply and the cluster panel when the node's status changes.
 */
import './styles.css';
import { MeshraftError } from '@meshraft/core';
import { availability, type Availability } from './app/availability.js';
import { Board, checkTitle, type Card, type Column } from './app/board.js';
import { renderBoard } from './app/board-view.js';
import { bindControls, drawIfChanged, renderCluster, roleLabel, updateControls, type ControlElements } from './app/cluster-view.js';
import { clearNameCommand, MAX_NAME, memberNames, setNameCommand } from './app/member-names.js';
import { parseParams, signalingUrl, withServerDefaults, type DemoParams, type ServerDefaults } from './app/params.js';
import { startSession, type Session } from './app/session.js';
import { createTestApi, type MeshraftTestApi } from './app/test-api.js';

declare global {
  interface Window {
    meshraft?: MeshraftTestApi;
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

function errorText(err: unknown): string {
  if (err instanceof MeshraftError) {
    if (err.code === 'NO_QUORUM') return 'No majority answered in time: the change was not confirmed.';
    if (err.code === 'NODE_STOPPED') return 'This tab has left the cluster.';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** How long a message stays; an error also goes at the user's next action. */
const MESSAGE_MS = 8000;

/** The user acted again: old error messages (a lost claim...) no longer apply. */
function clearErrors(): void {
  for (const item of [...$('messages').querySelectorAll('.message.error')]) item.remove();
}

function notify(text: string, kind: 'info' | 'error' = 'info'): void {
  const box = $('messages');
  const item = document.createElement('p');
  item.className = `message ${kind}`;
  item.textContent = text;
  box.prepend(item);
  while (box.childElementCount > 5) box.lastElementChild?.remove();
  setTimeout(() => item.remove(), MESSAGE_MS);
}

function myName(id: string): string {
  const stored = localStorage.getItem('meshraft-demo:name');
  return stored && stored.trim() ? stored.trim().slice(0, MAX_NAME) : `Tab ${id.replace(/^tab-/, '')}`;
}

function newCardId(): string {
  const b = new Uint8Array(6);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** `pnpm demo`'s page defaults; none when the page is served by something else (Vite, a CDN). */
async function serverDefaults(): Promise<ServerDefaults> {
  try {
    const res = await fetch('/config.json', { cache: 'no-cache' });
    return res.ok ? ((await res.json()) as ServerDefaults) : {};
  } catch {
    return {};
  }
}

/**
 * Founding is explicit: "New board" reloads the room with `?found`. Once this tab has its
 * cluster id, the room link (and the address bar) carry it as `?cluster=`, so a colleague
 * opening it joins this board and never founds another, even while every member is offline.
 */
function wireFounding(node: Session['node'], params: DemoParams): void {
  $('new-board').addEventListener('click', () => {
    const url = new URL(location.href);
    url.searchParams.delete('cluster');
    url.searchParams.set('found', '1');
    location.assign(url);
  });
  const link = (): void => {
    const id = node.clusterId;
    if (id === null) return;
    const url = new URL(location.href);
    url.searchParams.delete('found');
    url.searchParams.set('cluster', id);
    if (url.href !== location.href) history.replaceState(null, '', url);
    $<HTMLAnchorElement>('room-link').href = url.href;
  };
  node.on('status', link);
  node.on('fork', (e) => notify(`Another board under the name ${params.room} continues (cluster ${e.survivorId}); this tab's ${e.entries.length} changes were not merged.`, 'error'));
  link();
}

async function boot(): Promise<void> {
  let params: DemoParams;
  try {
    params = parseParams(withServerDefaults(location.search, await serverDefaults()));
  } catch (err) {
    $('boot-status').textContent = `Cannot start: ${errorText(err)}`;
    return;
  }
  if (!params.roomGiven) {
    const url = new URL(location.href);
    url.searchParams.set('room', params.room);
    history.replaceState(null, '', url);
  }
  $('room-name').textContent = params.room;
  $<HTMLAnchorElement>('room-link').href = location.href;
  document.title = `${params.room} · meshraft board`;

  let session: Session;
  try {
    session = await startSession(params, signalingUrl(params, location));
  } catch (err) {
    $('boot-status').textContent = `Cannot start this tab's node: ${errorText(err)}`;
    return;
  }
  const { node, transport } = session;
  if (session.foundRefused !== null) notify(`This room already has a board (cluster ${session.foundRefused}): this tab joins it instead of starting another.`, 'error');
  wireFounding(node, params);
  const origin =
    session.origin === 'restored' ? 'Restored from this tab’s log.' : session.origin === 'founded' ? 'You started this room.' : 'You joined this room.';
  const board = new Board({ propose: (c) => node.propose(c), local: (q) => session.sm.query(q), read: (q) => node.read(q) }, newCardId);
  let left = false;
  let busy = false;
  const me = () => ({ by: node.id, name: myName(node.id) });
  const avail = (): Availability =>
    availability({ status: node.status(), partitioned: transport.partitioned, left, names: memberNames((q) => session.sm.query(q)) });

  const nameInput = $<HTMLInputElement>('my-name');
  nameInput.value = myName(node.id);
  nameInput.addEventListener('change', () => {
    localStorage.setItem('meshraft-demo:name', nameInput.value);
    nameInput.value = myName(node.id);
  });

  // Each user action: run it, report a failure in words, redraw.
  const act = (what: string, f: () => Promise<unknown>): void => {
    clearErrors();
    f().catch((err: unknown) => notify(`${what}: ${errorText(err)}`, 'error')).finally(schedule);
  };
  const boardActions = {
    rename: (c: Card, title: string) => act('Rename', () => board.rename(c.id, title)),
    move: (c: Card, col: Column) => act('Move', () => board.move(c.id, col)),
    remove: (c: Card) => act('Delete', () => board.remove(c.id)),
    release: (c: Card) => act('Release', () => board.release(c.id, me())),
    claim: (c: Card) =>
      act('Claim', async () => {
        const r = await board.claim(c.id, me());
        if (r.ok) notify(`You claimed “${c.title}”.`);
        else if ('claimedBy' in r) notify(`“${c.title}” is already claimed by ${r.claimedBy.name}.`, 'error');
        else notify(`“${c.title}” was deleted.`, 'error');
      }),
  };
  const leave = async (): Promise<void> => {
    busy = true;
    schedule();
    try {
      // Take this tab's name off the board while it can still propose.
      await node.propose(clearNameCommand(node.id)).catch(() => {});
      await node.leave();
      left = true;
      notify('This tab left the cluster; its local copy is deleted. Reload to join again as a new member.');
      sessionStorage.removeItem(`meshraft-demo:slot:${params.room}`);
      indexedDB.deleteDatabase(session.database);
    } finally {
      busy = false;
      schedule();
    }
  };
  const clusterActions = {
    leave: () => act('Leave', leave),
    transfer: (to: string) => act('Transfer leadership', () => node.transferLeadership(to)),
    setPartitioned: (on: boolean) => {
      clearErrors();
      transport.setPartitioned(on);
      schedule();
    },
  };

  const controls: ControlElements = {
    partition: $<HTMLButtonElement>('partition-button'),
    target: $<HTMLSelectElement>('transfer-target'),
    transfer: $<HTMLButtonElement>('transfer-button'),
    leave: $<HTMLButtonElement>('leave-button'),
  };
  bindControls(controls, clusterActions, () => transport.partitioned);

  $<HTMLFormElement>('add-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>('add-title');
    let title: string;
    try {
      title = checkTitle(input.value);
    } catch (err) {
      notify(errorText(err), 'error');
      return;
    }
    input.value = '';
    act('Add card', () => board.add(title));
  });

  // A busy cluster applies ~50 batches a second in every tab; redrawing the panel for each would
  // spend more CPU on pixels than on consensus. Ten redraws a second are plenty for people.
  const MIN_DRAW_INTERVAL_MS = 100;
  let pending = false;
  let lastDraw = -Infinity;
  function schedule(): void {
    if (pending) return;
    pending = true;
    const wait = lastDraw + MIN_DRAW_INTERVAL_MS - performance.now();
    if (wait <= 0) requestAnimationFrame(draw);
    else setTimeout(() => requestAnimationFrame(draw), wait);
  }
  // This tab's name, replicated so that every tab can show it (member-names.ts).
  let publishing = false;
  let lastPublish = -Infinity;
  function publishName(names: ReadonlyMap<string, string>, member: boolean, writable: boolean): void {
    const name = myName(node.id);
    if (!member || !writable || left || publishing || names.get(node.id) === name) return;
    if (performance.now() - lastPublish < 2000) return; // no quorum: retry, but not every frame
    publishing = true;
    lastPublish = performance.now();
    node.propose(setNameCommand(node.id, name)).catch(() => {}).finally(() => {
      publishing = false;
      schedule();
    });
  }

  function draw(): void {
    pending = false;
    lastDraw = performance.now();
    const a = avail();
    const s = node.status();
    const banner = $('availability');
    banner.hidden = a.writable;
    banner.textContent = a.writable ? '' : `Read-only: ${a.reason}`;
    document.body.dataset.writable = String(a.writable);
    $<HTMLButtonElement>('add-button').disabled = !a.writable;
    const member = s.members.some((m) => m.id === node.id);
    const names = memberNames((q) => session.sm.query(q));
    publishName(names, member, a.writable);
    $('node-summary').textContent = member
      ? `You are ${node.id}, ${roleLabel(s)} in term ${s.term}; ${s.members.length} member${s.members.length === 1 ? '' : 's'}.`
      : `You are ${node.id}, not a member yet.`;
    $('boot-status').textContent = left
      ? 'You left this room.'
      : s.fork
        ? `This board was forked: another board under this name continues (cluster ${s.fork.survivorId}); this tab accepts no edits.`
        : member
          ? origin
          : `Joining the room: ${s.waiting ?? 'waiting for the leader to add this tab…'}`;
    $('founding').hidden = member || s.clusterId !== null || s.fork !== null || left;
    renderBoard($('board'), { cards: board.cards(), writable: a.writable, self: node.id }, boardActions);
    // Graph and table are redrawn only when what they show changed; the controls are updated in place.
    const shown = { ...s, members: s.members.map((m) => ({ ...m, rttMs: m.rttMs === null ? null : Math.round(m.rttMs * 10) / 10 })) };
    drawIfChanged($('cluster'), JSON.stringify([shown, [...names]]), () => renderCluster($('cluster'), shown, names));
    updateControls(controls, { status: s, names, partitioned: transport.partitioned, left, busy });
  }

  node.on('applied', schedule);
  node.on('status', schedule);
  node.on('members', schedule);
  node.on('removed', () => notify('This tab was removed from the cluster.', 'error'));
  node.on('error', (err) => notify(`The node stopped: ${errorText(err)}`, 'error'));
  setInterval(schedule, 1000); // RTTs and reachability change without an event
  document.body.dataset.ready = 'true';
  if (params.test) window.meshraft = createTestApi(session, board, me, avail, leave);
  draw();
}

void boot();
