/**
 * Simple tokens and password hashes on their own: the 5-minute sliding TTL on an injected clock,
 * and the events that void a token (password change, user deletion, AuthDisable), over a real
 * replicated auth store; salted scrypt hashes that never equal the password.
 */
import { describe, expect, it } from 'vitest';
import { AuthStore, type AuthOp, type PasswordHash } from 'meshraft/kv';
import { hashPassword, verifyPassword } from './auth-passwords.js';
import { SIMPLE_TOKEN_TTL_MS, SimpleTokens } from './auth-tokens.js';

const pw = (n: number): PasswordHash => ({ scheme: 'test', salt: new Uint8Array([n]), hash: new Uint8Array([n, n]) });

function setup() {
  const store = new AuthStore();
  // As root, at the store's current auth revision (what a live root token would carry).
  const run = (op: AuthOp) => store.apply({ type: 'auth', ...op, as: { user: 'root', revision: store.revision } });
  run({ op: 'userAdd', name: 'root', password: pw(1) });
  run({ op: 'userGrantRole', name: 'root', role: 'root' });
  run({ op: 'userAdd', name: 'alice', password: pw(2) });
  run({ op: 'enable' });
  let now = 1_000;
  const tokens = new SimpleTokens(store, { now: () => now });
  return { run, tokens, advance: (ms: number) => (now += ms) };
}

describe('simple tokens (etcd simpleTokenKeeper)', () => {
  it('live 5 minutes after their last use', () => {
    const { tokens, advance } = setup();
    const t = tokens.issue('alice');
    expect(t).toMatch(/^[a-zA-Z]{16}\.1$/);
    advance(SIMPLE_TOKEN_TTL_MS - 1);
    expect(tokens.user(t)).toBe('alice');
    // That use extended it.
    advance(SIMPLE_TOKEN_TTL_MS - 1);
    expect(tokens.user(t)).toBe('alice');
    advance(SIMPLE_TOKEN_TTL_MS);
    expect(tokens.user(t)).toBeUndefined();
    expect(tokens.user('unknown.7')).toBeUndefined();
  });

  it('die with a password change or the user\'s deletion, not with a role change', () => {
    const { run, tokens } = setup();
    const [a, r] = [tokens.issue('alice'), tokens.issue('root')];
    run({ op: 'roleAdd', name: 'x' });
    run({ op: 'userGrantRole', name: 'alice', role: 'x' });
    expect(tokens.user(a)).toBe('alice');
    run({ op: 'userChangePassword', name: 'alice', password: pw(3) });
    expect(tokens.user(a)).toBeUndefined();
    expect(tokens.user(r)).toBe('root');
    const b = tokens.issue('alice');
    run({ op: 'userDelete', name: 'alice' });
    // A user of the same name added again is someone else (a fresh salt): the old token stays dead.
    run({ op: 'userAdd', name: 'alice', password: pw(4) });
    expect(tokens.user(b)).toBeUndefined();
  });

  it('all die with AuthDisable, and stay dead after AuthEnable', () => {
    const { run, tokens } = setup();
    const [t, u] = [tokens.issue('root'), tokens.issue('alice')];
    run({ op: 'disable' });
    expect(tokens.user(t)).toBeUndefined();
    // u was not looked at while auth was off; it is dead after the new enable all the same.
    run({ op: 'enable' });
    expect(tokens.user(u)).toBeUndefined();
    expect(tokens.user(tokens.issue('root'))).toBe('root');
  });

  it('forget expired tokens when issuing new ones', () => {
    const { tokens, advance } = setup();
    for (let i = 0; i < 5; i++) tokens.issue('alice');
    advance(SIMPLE_TOKEN_TTL_MS);
    tokens.issue('alice');
    expect(tokens.size).toBe(1);
  });
});

describe('password hashes', () => {
  it('are salted scrypt: two hashes of one password differ, both verify, a wrong password does not', async () => {
    const [h1, h2] = [await hashPassword('secret'), await hashPassword('secret')];
    expect(h1.scheme).toBe('scrypt:N=16384,r=8,p=1');
    expect(Buffer.from(h1.hash).equals(Buffer.from(h2.hash))).toBe(false);
    expect(Buffer.from(h1.hash).toString()).not.toContain('secret');
    expect(await verifyPassword('secret', h1)).toBe(true);
    expect(await verifyPassword('secret', h2)).toBe(true);
    expect(await verifyPassword('Secret', h1)).toBe(false);
    expect(await verifyPassword('secret', { ...h1, scheme: 'bcrypt' })).toBe(false);
  });
});
