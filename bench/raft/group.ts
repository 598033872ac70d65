// What both modes hand the benchmark: a running 3-member group and the
// main-thread actor system its RaftClient sessions run in.
import type { ActorSystem, Address } from '../../runtime/index.js';
import { RaftClient } from '../../actors/raft/client.js';

export type Mode = 'threads' | 'processes';

export interface MemberGroup {
  readonly system: ActorSystem;
  /** Member id → its RaftMember's address. */
  readonly addresses: ReadonlyMap<number, Address>;
  stop(): Promise<void>;
}

/** Resolves once the group has a leader: a write goes through. */
export async function waitForLeader(system: ActorSystem, addresses: ReadonlyMap<number, Address>): Promise<void> {
  const probe = new RaftClient(system, addresses, { askTimeoutMs: 2000, maxAttempts: 50, retryBackoffMs: 100 });
  await probe.put('edgekv-bench-probe', new Uint8Array([1]));
}
