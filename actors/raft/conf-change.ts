import { CorruptionError } from '../../runtime/errors.js';
import type { NodeId } from './types.js';

/**
 * One membership change at a time (Raft §4.1 single-server changes, as etcd
 * does without joint consensus). A change takes effect when its entry is
 * applied, and the leader refuses a new one while the previous one is
 * unapplied, so any two consecutive configurations share a majority.
 */
export type ConfChangeType = 'addVoter' | 'addLearner' | 'remove';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

const CODES: Record<ConfChangeType, number> = { addVoter: 1, addLearner: 2, remove: 3 };
const TYPES: ConfChangeType[] = ['addVoter', 'addLearner', 'remove'];

/** Format: 1 byte type (1 add voter, 2 add learner, 3 remove), then the node id as a float64 LE. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = CODES[cc.type];
  new DataView(out.buffer).setFloat64(1, cc.nodeId, true);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const type = TYPES[(data[0] ?? 0) - 1];
  if (data.byteLength !== 9 || type === undefined) {
    throw new CorruptionError(`malformed conf change entry (${data.byteLength} bytes, type byte ${data[0]})`);
  }
  const nodeId = new DataView(data.buffer, data.byteOffset, data.byteLength).getFloat64(1, true);
  return { type, nodeId };
}
