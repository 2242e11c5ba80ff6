/**
 * @module campaign
 * Campaign presence: this node's switch for starting elections (off in a hidden tab), told to
 * every peer, and each peer's switch as it last told us (shown in MemberStatus.campaign). The
 * same frame says whether the sender is ephemeral (membership.ephemeral: a tab).
 */
import type { NodeId } from '@meshraft/core';
import { InvalidOptionError } from './errors.js';
import type { NodeContext } from './node-context.js';

export class Campaign {
  enabled = true;
  /** Each peer's campaign switch, as it last told us (wire kind 'campaign'). */
  readonly peers = new Map<NodeId, boolean>();
  /** Bumped on every change of `peers`: part of the status change key (page lifecycle listens). */
  peerChanges = 0;
  /** Peers that said they are ephemeral (may vanish with their page). */
  readonly ephemeralPeers = new Set<NodeId>();

  constructor(
    private readonly ctx: NodeContext,
    /** Something shown in status changed. */
    private readonly onChange: (peers: boolean) => void,
  ) {}

  set(enabled: boolean): void {
    const { ctx } = this;
    if (typeof enabled !== 'boolean') throw new InvalidOptionError('setCampaign', 'expects a boolean');
    if (ctx.stopped || enabled === this.enabled) return;
    if (!ctx.core.setCampaign) throw new InvalidOptionError('setCampaign', 'the injected core does not support it');
    ctx.core.setCampaign(enabled);
    this.enabled = enabled;
    this.announce();
    this.onChange(false);
    ctx.kick();
  }

  /** Tells peers (default: every linked one) this node's switch. */
  announce(peers: readonly NodeId[] = this.ctx.transport.links().map((l) => l.peer)): void {
    if (this.ctx.stopped) return;
    const ephemeral = this.ctx.opts.membership.ephemeral;
    for (const peer of peers) this.ctx.send(peer, { kind: 'campaign', enabled: this.enabled, ...(ephemeral && { ephemeral }) });
  }

  /** This node and the peers that said they are ephemeral. */
  ephemeral(): Set<NodeId> {
    const out = new Set(this.ephemeralPeers);
    if (this.ctx.opts.membership.ephemeral) out.add(this.ctx.id);
    return out;
  }

  /** A peer's 'campaign' frame. */
  onPeer(from: NodeId, enabled: boolean, ephemeral = false): void {
    if (ephemeral) this.ephemeralPeers.add(from);
    else this.ephemeralPeers.delete(from);
    if (this.peers.get(from) === enabled) return;
    this.peers.set(from, enabled);
    this.peerChanges++;
    this.onChange(true);
  }
}
