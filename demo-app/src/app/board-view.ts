/**
 * @module board-view
 * Draws the board's three columns from the replica's cards, with per-card controls (rename,
 * claim/release, move, delete). Controls are disabled while the board is read-only.
 */
import { COLUMNS, COLUMN_TITLES, type Card, type Column } from './board.js';
import { h } from './dom.js';
import { drawIfChanged } from './cluster-view.js';

export interface BoardActions {
  rename(card: Card, title: string): void;
  claim(card: Card): void;
  release(card: Card): void;
  move(card: Card, column: Column): void;
  remove(card: Card): void;
}

export interface BoardViewState {
  readonly cards: readonly Card[];
  readonly writable: boolean;
  /** This tab's node id (to tell its own claims apart). */
  readonly self: string;
}

export function renderBoard(root: HTMLElement, state: BoardViewState, actions: BoardActions): void {
  // An open title editor is not redrawn under the user's cursor; the next change redraws it.
  if (root.contains(document.activeElement) && document.activeElement instanceof HTMLInputElement) return;
  drawIfChanged(root, JSON.stringify(state), () => draw(root, state, actions));
}

function draw(root: HTMLElement, state: BoardViewState, actions: BoardActions): void {
  const disabled = !state.writable;
  const columns = COLUMNS.map((col) => {
    const cards = state.cards.filter((c) => c.column === col);
    const list = h('ul', { class: 'cards', 'aria-label': `${COLUMN_TITLES[col]} cards` });
    for (const card of cards) list.append(renderCard(card, col, state, actions, disabled));
    if (cards.length === 0) list.append(h('li', { class: 'empty', text: 'No cards' }));
    return h(
      'section',
      { class: `column column-${col}`, 'data-column': col, 'aria-labelledby': `col-${col}` },
      h('h2', { id: `col-${col}`, text: `${COLUMN_TITLES[col]} (${cards.length})` }),
      list,
    );
  });
  root.replaceChildren(...columns);
}

function renderCard(card: Card, col: Column, state: BoardViewState, actions: BoardActions, disabled: boolean): HTMLElement {
  const i = COLUMNS.indexOf(col);
  const prev = COLUMNS[i - 1];
  const next = COLUMNS[i + 1];
  const mine = card.claim?.by === state.self;
  const title = h('button', {
    class: 'card-title',
    'data-testid': 'card-title',
    title: 'Rename',
    'aria-label': `Rename card ${card.title}`,
    disabled,
    onclick: () => startRename(titleBox, title, card, actions),
  }, card.title);
  const titleBox = h('div', { class: 'title-box' }, title);
  const claim = card.claim
    ? h('span', { class: `claim ${mine ? 'mine' : ''}`, 'data-testid': 'claim-badge' }, `Claimed by ${mine ? 'you' : card.claim.name}`)
    : null;
  const claimButton = card.claim
    ? mine
      ? h('button', { 'data-testid': 'release-button', 'aria-label': `Release card ${card.title}`, disabled, onclick: () => actions.release(card) }, 'Release')
      : null
    : h('button', { 'data-testid': 'claim-button', 'aria-label': `Claim card ${card.title}`, disabled, onclick: () => actions.claim(card) }, 'Claim');
  const controls = h(
    'div',
    { class: 'card-controls' },
    claimButton,
    prev ? h('button', { 'aria-label': `Move ${card.title} to ${COLUMN_TITLES[prev]}`, title: `Move to ${COLUMN_TITLES[prev]}`, disabled, onclick: () => actions.move(card, prev) }, '←') : null,
    next ? h('button', { 'aria-label': `Move ${card.title} to ${COLUMN_TITLES[next]}`, title: `Move to ${COLUMN_TITLES[next]}`, disabled, onclick: () => actions.move(card, next) }, '→') : null,
    h('button', { class: 'danger', 'aria-label': `Delete card ${card.title}`, title: 'Delete', disabled, onclick: () => actions.remove(card) }, '✕'),
  );
  return h('li', { class: `card ${card.claim ? 'claimed' : ''}`, 'data-card-id': card.id, 'data-testid': 'card' }, titleBox, claim, controls);
}

function startRename(box: HTMLElement, title: HTMLElement, card: Card, actions: BoardActions): void {
  const input = h('input', { type: 'text', value: card.title, maxlength: 200, 'aria-label': `New title for ${card.title}` });
  let done = false;
  const finish = (save: boolean): void => {
    if (done) return;
    done = true;
    const v = input.value.trim();
    // The old title stays until the rename is applied (the board then redraws), or for good if it fails.
    box.replaceChildren(title);
    if (save && v !== '' && v !== card.title) actions.rename(card, v);
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') finish(true);
    if (e.key === 'Escape') finish(false);
  });
  input.addEventListener('blur', () => finish(true));
  box.replaceChildren(input);
  input.focus();
  input.select();
}
