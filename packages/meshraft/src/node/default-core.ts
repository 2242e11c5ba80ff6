/**
 * @module default-core
 * The core createNode uses unless told otherwise: @meshraft/core's RawNode.
 */
import { RawNode, type RaftConfig } from '@meshraft/core';
import { MembershipUnsupportedError } from './errors.js';
import type { ConfChange, CoreAdapter, RaftCore } from './raft-core.js';

/** RawNode plus the pinned conf change API, which the core has not shipped yet. */
type RawNodeWithConf = RawNode & Partial<Pick<RaftCore, 'proposeConfChange' | 'applyConfChange'>>;

function createRawNode(config: RaftConfig): RaftCore {
  const raw: RawNodeWithConf = new RawNode(config);
  return {
    tick: () => raw.tick(),
    step: (m) => raw.step(m),
    propose: (d) => raw.propose(d),
    readIndex: (c) => raw.readIndex(c),
    transferLeadership: (id) => raw.transferLeadership(id),
    hasReady: () => raw.hasReady(),
    ready: () => raw.ready(),
    advance: (rd) => raw.advance(rd),
    status: () => raw.status(),
    proposeConfChange(cc: ConfChange) {
      if (!raw.proposeConfChange) throw new MembershipUnsupportedError();
      raw.proposeConfChange(cc);
    },
    applyConfChange(cc: ConfChange) {
      if (!raw.applyConfChange) throw new MembershipUnsupportedError();
      return raw.applyConfChange(cc);
    },
  };
}

export const defaultCore: CoreAdapter = {
  create: createRawNode,
  decodeConfChange() {
    throw new MembershipUnsupportedError();
  },
};
