import type { Random } from '../random.js';

type PendingWrite = { kind: 'append'; bytes: Uint8Array } | { kind: 'replace'; bytes: Uint8Array };

interface SimFile {
  /** What survives a crash. */
  durable: Uint8Array;
  /** What reads see. */
  current: Uint8Array;
  /** Writes since the last sync, in order. */
  pending: PendingWrite[];
}

/** What a node's code sees of its disk: ordinary file operations plus `sync`. */
export interface DiskHandle {
  readFile(name: string): Uint8Array | undefined;
  writeFile(name: string, bytes: Uint8Array): void;
  append(name: string, bytes: Uint8Array): void;
  /** Makes everything written to `name` so far survive a crash (fsync). */
  sync(name: string): void;
  delete(name: string): void;
  /** Atomic and durable at once, like rename(2) followed by an fsync of the directory. */
  rename(from: string, to: string): void;
  list(prefix?: string): string[];
}

/**
 * A node's disk in the simulator. It outlives the node's crashes; a crash keeps
 * what was synced plus a random prefix of the unsynced writes of each file, the
 * last of them possibly torn — what a real disk may do after power loss.
 * File creation, deletion and rename are durable at once (a journaling file
 * system with synchronous metadata), which the code under test must not rely
 * on for data: only `sync` makes bytes durable.
 */
export class SimDisk {
  private readonly files = new Map<string, SimFile>();
  private incarnation = 0;

  /** A handle for the current incarnation; handles of crashed incarnations ignore writes. */
  handle(): DiskHandle {
    const mine = this.incarnation;
    const live = (): boolean => mine === this.incarnation;
    return {
      readFile: (name) => this.files.get(name)?.current,
      writeFile: (name, bytes) => {
        if (!live()) return;
        const file = this.open(name);
        file.current = bytes.slice();
        file.pending.push({ kind: 'replace', bytes: file.current });
      },
      append: (name, bytes) => {
        if (!live()) return;
        const file = this.open(name);
        const copy = bytes.slice();
        file.current = concat(file.current, copy);
        file.pending.push({ kind: 'append', bytes: copy });
      },
      sync: (name) => {
        if (!live()) return;
        const file = this.files.get(name);
        if (file === undefined) return;
        file.durable = file.current;
        file.pending = [];
      },
      delete: (name) => {
        if (live()) this.files.delete(name);
      },
      rename: (from, to) => {
        if (!live()) return;
        const file = this.files.get(from);
        if (file === undefined) return;
        this.files.delete(from);
        this.files.set(to, file);
      },
      list: (prefix = '') => [...this.files.keys()].filter((n) => n.startsWith(prefix)).sort(),
    };
  }

  /**
   * Power loss. With `loseUnsynced` false every write survives (a process
   * crash: the OS still flushes its page cache).
   */
  crash(random: Random, loseUnsynced = true): void {
    this.incarnation++;
    for (const file of this.files.values()) {
      if (!loseUnsynced) {
        file.durable = file.current;
      } else {
        let bytes = file.durable;
        const kept = random.int(file.pending.length + 1);
        for (let i = 0; i < kept; i++) {
          const w = file.pending[i]!;
          const torn = i === kept - 1 && w.kind === 'append' && random.next() < 0.5;
          const data = torn ? w.bytes.subarray(0, random.int(w.bytes.length + 1)) : w.bytes;
          bytes = w.kind === 'append' ? concat(bytes, data) : w.bytes;
        }
        file.durable = bytes;
      }
      file.current = file.durable;
      file.pending = [];
    }
  }

  private open(name: string): SimFile {
    let file = this.files.get(name);
    if (file === undefined) {
      file = { durable: new Uint8Array(0), current: new Uint8Array(0), pending: [] };
      this.files.set(name, file);
    }
    return file;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
