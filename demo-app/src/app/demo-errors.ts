/**
 * @module demo-errors
 * The demo's own errors. Each has a stable `code`; the page shows `message` to the user.
 */
import { MeshraftError } from '@meshraft/core';

/** A URL parameter has an unusable value (`?tick=abc`). Code `DEMO_BAD_PARAM`. */
export class DemoParamError extends MeshraftError {
  constructor(readonly param: string, message: string) {
    super('DEMO_BAD_PARAM', `?${param}: ${message}`);
  }
}

/** A card title or column the board refuses (empty, too long, unknown column). Code `DEMO_BAD_CARD`. */
export class CardInputError extends MeshraftError {
  constructor(message: string) {
    super('DEMO_BAD_CARD', message);
  }
}

/** The card was deleted (by someone else) before this change applied. Code `DEMO_CARD_GONE`. */
export class CardGoneError extends MeshraftError {
  constructor(readonly cardId: string) {
    super('DEMO_CARD_GONE', `card ${cardId} no longer exists`);
  }
}

/** An edit lost the compare-and-set race too many times in a row. Code `DEMO_CONTENDED`. */
export class ContendedError extends MeshraftError {
  constructor(readonly cardId: string, readonly attempts: number) {
    super('DEMO_CONTENDED', `card ${cardId} changed under this edit ${attempts} times; try again`);
  }
}

/** The store answered with a KV failure (should not happen for the board's own commands). Code `DEMO_STORE_FAILED`. */
export class StoreFailedError extends MeshraftError {
  constructor(readonly kvCode: string, message: string) {
    super('DEMO_STORE_FAILED', `${kvCode}: ${message}`);
  }
}
