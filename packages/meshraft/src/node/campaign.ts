/**
 * @module campaign
 * Campaign presence: this node's switch for starting elections (off in a hidden tab), told to
 * every peer, and each peer's switch as it last told us (shown in MemberStatus.campaign).
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
    for (const peer of peers) this.ctx.send(peer, { kind: 'campaign', enabled: this.enabled });
  }

  /** A peer's 'campaign' frame. */
  onPeer(from: NodeId, enabled: boolean): void {
    if (this.peers.get(from) === enabled) return;
    this.peers.set(from, enabled);
    this.peerChanges++;
    this.onChange(true);
  }
}
