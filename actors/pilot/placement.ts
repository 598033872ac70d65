import type { ActorRef, Clock } from '../../runtime/index.js';
import type { CompactionPlacement, LocalPlacement, RemotePlacement } from '../compaction/compaction-actor.js';
import type { CompactionRequest } from '../compaction/messages.js';
import { pilotTimings } from './defaults.js';
import type { PlaceReply, SchedulerMessage } from './messages.js';

export interface SchedulerCandidate {
  node: string;
  ref: ActorRef<SchedulerMessage>;
  /** Static capacity (cores × speed factor): the election order. */
  capacity: number;
}

export interface PilotPlacementOptions {
  node: string;
  clock: Clock;
  /** Every node's scheduler. */
  schedulers: readonly SchedulerCandidate[];
  /** The compaction actor of a node by name. */
  compactionOf: (node: string) => ActorRef<CompactionRequest>;
  placeTimeoutMs?: number;
  suspectMs?: number;
  /** Merges with more input bytes run locally without asking (more than a target's memory bound for others could hold; default none). */
  maxOffloadBytes?: number;
}

/**
 * The election rule: the master is the live scheduler with the most capacity
 * (ties by name). A node asks its master where a triggered compaction should
 * run; a scheduler that does not answer in time is suspected for a while and
 * the next one in the order is asked (it takes over with the queue and model
 * it has kept warm from the reports). With no scheduler reachable the merge
 * runs locally: nothing ever waits on a master.
 */
export function pilotPlacement(o: PilotPlacementOptions): CompactionPlacement & { suspected(): string[] } {
  const order = [...o.schedulers].sort((a, b) => b.capacity - a.capacity || a.node.localeCompare(b.node));
  const suspectUntil = new Map<string, number>();
  const placeTimeoutMs = o.placeTimeoutMs ?? pilotTimings.placeTimeoutMs;
  const suspectMs = o.suspectMs ?? pilotTimings.suspectMs;
  const placement = async (input: { inputs: Uint8Array[] }): Promise<RemotePlacement | LocalPlacement> => {
    let sizeBytes = 0;
    for (const b of input.inputs) sizeBytes += b.byteLength;
    if (o.maxOffloadBytes !== undefined && sizeBytes > o.maxOffloadBytes) return { local: true };
    for (const s of order) {
      if ((suspectUntil.get(s.node) ?? -Infinity) > o.clock.now()) continue;
      let reply: PlaceReply;
      try {
        reply = await s.ref.ask<PlaceReply>({ type: 'place', owner: o.node, sizeBytes }, { timeoutMs: placeTimeoutMs });
      } catch {
        suspectUntil.set(s.node, o.clock.now() + suspectMs);
        continue;
      }
      suspectUntil.delete(s.node);
      if (reply.target === 'local' || reply.target === o.node) {
        return { local: true, ...(reply.decision !== undefined ? { predictedMs: reply.decision.localMs } : {}) };
      }
      const d = reply.decision!;
      return {
        target: o.compactionOf(reply.target),
        targetNode: reply.target,
        timeoutMs: pilotTimings.deadlineFactor * d.offloadMs + pilotTimings.deadlineSlackMs,
        predictedMs: d.offloadMs,
      };
    }
    return { local: true };
  };
  return Object.assign(placement, {
    suspected: () => [...suspectUntil.entries()].filter(([, t]) => t > o.clock.now()).map(([n]) => n),
  });
}
