import type { NodeId } from './types.js';

/** A majority of `voters`: the size every election and commit needs. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index a majority of voters have: sort the match indexes in
 * descending order and take the quorum-th. An empty voter set commits
 * nothing.
 */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const idx = voters.map(match).sort((a, b) => b - a);
  return idx[quorumSize(voters.length) - 1]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tallies granted/rejected votes among `voters`; votes from non-voters are ignored. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const q = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  if (granted >= q) return 'won';
  if (rejected > voters.length - q) return 'lost';
  return 'pending';
}
