// Thread mode with EDGEKV_RAFT_TRACE: actors/raft/trace.ts names its file
// after EDGEKV_RAFT_ID when it is first imported, and a worker thread has its
// own copy of process.env. group-threads.ts spawns this (an idle actor) before
// anything that imports the Raft member, so the thread's rows land in
// m<id>.jsonl. This module must not import actors/raft.
import type { Props } from '../../runtime/actor.js';

export function traceName(args: { id: number }): Props<unknown> {
  process.env.EDGEKV_RAFT_ID = String(args.id);
  return { create: () => ({ receive: () => undefined }) };
}
