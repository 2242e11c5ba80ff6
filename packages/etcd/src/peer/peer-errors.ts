/**
 * @module peer-errors
 * Errors of the `meshraft` command line (codes and exit codes are listed in docs/peer.md).
 */
import { MeshraftError } from '@meshraft/core';

/** Bad command-line flags: the CLI prints the message and the usage, then exits 2. Code `USAGE`. */
export class UsageError extends MeshraftError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

const LISTEN_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no interface of this machine has that address',
  ENOTFOUND: 'the host name does not resolve',
};

/**
 * A listen address (`--http`, `--port`/`--host`) cannot be bound. Raised before any state is
 * created, so a failed start leaves nothing behind; the message names the flag to change. The CLI
 * exits 2. Code `LISTEN_FAILED`; `errno` is the system code (EADDRINUSE, ...).
 */
export class ListenError extends MeshraftError {
  readonly errno: string;
  constructor(
    readonly flag: string,
    readonly address: string,
    cause: unknown,
  ) {
    const errno = (cause as NodeJS.ErrnoException | null)?.code ?? 'UNKNOWN';
    const reason = LISTEN_REASONS[errno] ?? (cause instanceof Error ? cause.message : String(cause));
    super('LISTEN_FAILED', `cannot listen on ${address}: ${reason} (${errno}); choose another with ${flag}`, { cause });
    this.errno = errno;
  }
}

/**
 * `--bootstrap` on a fresh data directory, in a room that already has a cluster (the signaling
 * server recorded its id): founding would fork it. Raised before the data directory is created;
 * the CLI exits 2. Code `CLUSTER_EXISTS`.
 */
export class ClusterExistsError extends MeshraftError {
  constructor(readonly cluster: string, readonly clusterId: string) {
    super(
      'CLUSTER_EXISTS',
      `cluster ${cluster} already exists (the signaling server recorded cluster id ${clusterId}): start without --bootstrap to join it, or choose another --cluster name`,
    );
  }
}
