import { describe, expect, it } from 'vitest';
import { ActorSystem, MemoryLogger } from '../../runtime/index.js';
import { SeededRandom } from '../../runtime/random.js';
import { MemoryLogStore } from '../../storage/raft-log/memory.js';
import { RaftClient } from './client.js';
import { KvStateMachine } from './kv/kv-state-machine.js';
import type { RaftMemberMessage } from './member-messages.js';
import { RaftMember } from './member.js';

/** A KV state machine whose store "stalls" while the test holds its gate closed. */
class StallingKv extends KvStateMachine {
  gate: Promise<void> | null = null;
  asked = 0;
  override whenWritable(): Promise<void> | null {
    this.asked++;
    return this.gate;
  }
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error('condition never held');
}

describe('RaftMember and the state machine write stall', () => {
  it('waits for whenWritable before applying committed entries: a stalled store delays apply and the ack', async () => {
    const sm = new StallingKv();
    let member: RaftMember | undefined;
    const system = new ActorSystem({ name: 'a', logger: new MemoryLogger(), random: new SeededRandom(3) });
    system.spawn(
      RaftMember.props({
        id: 1,
        peers: [1],
        peerRef: (_to, ctx) => ctx.self.via.ref<RaftMemberMessage>({ system: 'a', path: 'raft' }),
        store: new MemoryLogStore('immediate'),
        stateMachine: () => sm,
        tickMs: 5,
        onStart: (m) => (member = m),
      }),
      'raft',
    );
    const client = new RaftClient(system, new Map([[1, { system: 'a', path: 'raft' }]]), { askTimeoutMs: 5000, maxAttempts: 40, retryBackoffMs: 20 });
    try {
      await client.put('before', new Uint8Array([1]));
      expect(member!.stallsWaited).toBe(0);
      let open!: () => void;
      sm.gate = new Promise<void>((r) => (open = r));
      let acked = false;
      const write = client.put('during', new Uint8Array([2])).then(() => (acked = true));
      // The member reached the stall with the entry committed but not applied.
      await until(() => member!.stallsWaited === 1);
      expect(sm.get('during')).toBeNull();
      expect(acked).toBe(false);
      sm.gate = null;
      open();
      await write;
      expect(sm.get('during')).toEqual(new Uint8Array([2]));
      expect(member!.status().applied).toBe(member!.status().committed);
    } finally {
      system.terminate();
    }
  });
});
