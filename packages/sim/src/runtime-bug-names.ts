/**
 * @module runtime-bug-names
 * The names of the deliberately broken runtimes `pnpm sim --host runtime --bug NAME` runs. The
 * wrappers themselves live in @meshraft/sim-runtime (runtime-bugs.ts), which depends on the
 * runtime; the names live here so the CLI parser can check them.
 */
export const RUNTIME_BUGS = ['ack-before-durable', 'apply-twice', 'drop-deferred-hard-state', 'lease-past-expiry', 'lease-follower-expiry'] as const;
export type RuntimeBug = (typeof RUNTIME_BUGS)[number];
