/**
 * @module auth/auth-tokens
 * etcd's simple tokens, kept in memory on the member that issued them: a random string bound to
 * a user and to the password hash it was issued against, valid for 5 minutes after its last use
 * (etcd's simpleTokenTTL). A token dies with AuthDisable (it predates the last enable), a
 * password change or the user's deletion, as etcd's invalidateUser/disable do; role changes keep it.
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, type AuthView, type PasswordHash } from 'meshraft/kv';

export const SIMPLE_TOKEN_TTL_MS = 5 * 60_000;

interface Issued {
  readonly user: string;
  readonly password: PasswordHash | undefined;
  /** The auth revision when it was issued, to spot an AuthDisable since. */
  readonly revision: number;
  expiresAt: number;
}

export interface SimpleTokensOptions {
  readonly ttlMs?: number;
  /** Milliseconds clock (tests inject one). */
  readonly now?: () => number;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export class SimpleTokens {
  readonly #tokens = new Map<string, Issued>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  #counter = 0;

  constructor(readonly auth: AuthView, options: SimpleTokensOptions = {}) {
    this.#ttlMs = options.ttlMs ?? SIMPLE_TOKEN_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** etcd's format: 16 random letters, a dot, a per-member counter. */
  issue(user: string): string {
    const now = this.#now();
    // Forget the expired ones here, so tokens never used again do not pile up.
    for (const [k, t] of this.#tokens) if (now >= t.expiresAt) this.#tokens.delete(k);
    const rnd = randomBytes(16);
    let token = '';
    for (const b of rnd) token += LETTERS[b % LETTERS.length];
    token += `.${++this.#counter}`;
    this.#tokens.set(token, { user, password: this.auth.user(user)?.password, revision: this.auth.revision, expiresAt: now + this.#ttlMs });
    return token;
  }

  /** The token's user while it is valid (each use extends it), else undefined. */
  user(token: string): string | undefined {
    const t = this.#tokens.get(token);
    if (!t) return undefined;
    const now = this.#now();
    const u = this.auth.user(t.user);
    const samePassword = t.password === undefined ? u?.password === undefined : u?.password !== undefined && bytesEqual(u.password.hash, t.password.hash);
    if (now >= t.expiresAt || !this.auth.enabled || t.revision < this.auth.enabledAt || !u || !samePassword) {
      this.#tokens.delete(token);
      return undefined;
    }
    t.expiresAt = now + this.#ttlMs;
    return t.user;
  }

  get size(): number {
    return this.#tokens.size;
  }
}
