/**
 * @module default-core
 * The core createNode uses unless told otherwise: @meshraft/core's RawNode, whose conf-change
 * entries are decoded with the core's own decodeConfChange.
 */
import { decodeConfChange, RawNode } from '@meshraft/core';
import type { CoreAdapter } from './raft-core.js';

export const defaultCore: CoreAdapter = {
  create: (config) => new RawNode(config),
  decodeConfChange,
};
