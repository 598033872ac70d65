import { EdgeKVError } from '../runtime/errors.js';
import { DirectoryLockedError, type FileLock } from './dir-lock.js';
import type { FileSystem, RandomAccessFile, WritableFile } from './fs.js';

/** Thrown by MemoryFileSystem once its injected crash point is reached. */
export class SimulatedCrashError extends EdgeKVError {
  constructor(op: string) {
    super('SIMULATED_CRASH', `simulated crash during ${op}`);
  }
}

class Inode {
  data = Buffer.alloc(0);
  len = 0;
  /** Appends are the only writes, so "durable" is a prefix length. */
  syncedLen = 0;

  append(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.data.length) {
      const grown = Buffer.alloc(Math.max(this.data.length * 2, this.len + bytes.length, 256));
      this.data.copy(grown, 0, 0, this.len);
      this.data = grown;
    }
    this.data.set(bytes, this.len);
    this.len += bytes.length;
  }
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/**
 * An in-memory disk that models what a crash keeps: file contents only up to
 * their last sync, and directory entries (create, rename, delete) only up to
 * the last sync of their directory. `crash()` drops everything else.
 * `failAfter(n)` makes the n-th next mutating call crash half-way.
 */
export class MemoryFileSystem implements FileSystem {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private dirs = new Set<string>(['/']);
  private opsUntilCrash = Infinity;
  private dead = false;
  /** Directories locked by an engine; a crash (the process died) frees them. */
  private locks = new Map<string, object>();
  /** Counts mutating calls; tests use it to pick crash points. */
  mutatingOps = 0;

  failAfter(ops: number): void {
    this.opsUntilCrash = ops;
  }

  get crashed(): boolean {
    return this.dead;
  }

  /** The moment of power loss: every later call fails until `crash()` brings the disk back. */
  powerOff(): void {
    this.dead = true;
  }

  /** Power loss: unsynced data and unsynced directory changes vanish. */
  crash(): void {
    this.names = new Map(this.durableNames);
    for (const inode of this.names.values()) inode.len = inode.syncedLen;
    this.locks.clear();
    this.dead = false;
    this.opsUntilCrash = Infinity;
  }

  /** Flips one bit of a file (both its volatile and durable image). */
  flipBit(path: string, byteOffset: number, bit = 0): void {
    const inode = this.names.get(path);
    if (inode === undefined || byteOffset >= inode.len) throw new Error(`flipBit: no byte ${byteOffset} in ${path}`);
    inode.data[byteOffset]! ^= 1 << bit;
  }

  fileSize(path: string): number {
    const inode = this.names.get(path);
    if (inode === undefined) throw new Error(`no such file ${path}`);
    return inode.len;
  }

  private step(op: string): void {
    if (this.dead) throw new SimulatedCrashError(op);
    this.mutatingOps++;
    if (this.opsUntilCrash !== Infinity) {
      this.opsUntilCrash--;
      if (this.opsUntilCrash <= 0) {
        this.dead = true;
        throw new SimulatedCrashError(op);
      }
    }
  }

  private checkAlive(op: string): void {
    if (this.dead) throw new SimulatedCrashError(op);
  }

  private lookup(path: string): Inode {
    const inode = this.names.get(path);
    if (inode === undefined) {
      const err = new Error(`ENOENT: no such file ${path}`) as NodeJS.ErrnoException;
      err.code = 'ENOENT';
      throw err;
    }
    return inode;
  }

  /** The in-memory disk belongs to one process: a lock is an entry here, gone at `crash()`. */
  lockDir(dir: string): FileLock {
    this.checkAlive(`lock ${dir}`);
    const key = dir.endsWith('/') && dir.length > 1 ? dir.slice(0, -1) : dir;
    if (this.locks.has(key)) throw new DirectoryLockedError(dir, 'another engine on this in-memory disk');
    const token = {};
    this.locks.set(key, token);
    return {
      path: `${key}/LOCK`,
      release: () => {
        if (this.locks.get(key) === token) this.locks.delete(key);
      },
    };
  }

  mkdirp(dir: string): void {
    let d = dir;
    while (d !== '/' && d !== '' && d !== '.') {
      this.dirs.add(d);
      d = dirOf(d);
    }
  }

  list(dir: string): string[] {
    this.checkAlive('list');
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const out: string[] = [];
    for (const name of this.names.keys()) {
      if (name.startsWith(prefix) && !name.slice(prefix.length).includes('/')) out.push(name.slice(prefix.length));
    }
    return out.sort();
  }

  exists(path: string): boolean {
    this.checkAlive('exists');
    return this.names.has(path) || this.dirs.has(path);
  }

  create(path: string): WritableFile {
    this.step(`create ${path}`);
    const inode = new Inode();
    this.names.set(path, inode);
    const fs = this;
    let closed = false;
    return {
      get sizeBytes() {
        return inode.len;
      },
      append(data: Uint8Array): void {
        if (closed) throw new Error(`append to closed file ${path}`);
        if (fs.dead) throw new SimulatedCrashError(`append ${path}`);
        fs.mutatingOps++;
        if (fs.opsUntilCrash !== Infinity && --fs.opsUntilCrash <= 0) {
          // A torn write: only part of the data reached the page cache.
          inode.append(data.subarray(0, data.length >> 1));
          fs.dead = true;
          throw new SimulatedCrashError(`append ${path}`);
        }
        inode.append(data);
      },
      sync(): void {
        fs.step(`sync ${path}`);
        inode.syncedLen = inode.len;
      },
      close(): void {
        closed = true;
      },
    };
  }

  openRead(path: string): RandomAccessFile {
    this.checkAlive(`open ${path}`);
    const inode = this.lookup(path);
    const fs = this;
    let closed = false;
    return {
      sizeBytes: inode.len,
      read(offset: number, length: number): Buffer {
        if (fs.dead) throw new SimulatedCrashError(`read ${path}`);
        if (closed) throw new Error(`EBADF: read of closed file ${path}`);
        const end = Math.min(inode.len, offset + length);
        return Buffer.from(inode.data.subarray(Math.min(offset, end), end));
      },
      readInto(target: Buffer, targetOffset: number, length: number, offset: number): number {
        if (fs.dead) throw new SimulatedCrashError(`read ${path}`);
        if (closed) throw new Error(`EBADF: read of closed file ${path}`);
        const end = Math.min(inode.len, offset + length);
        if (end <= offset) return 0;
        inode.data.copy(target, targetOffset, offset, end);
        return end - offset;
      },
      close(): void {
        closed = true;
      },
    };
  }

  readFile(path: string): Buffer {
    this.checkAlive(`read ${path}`);
    const inode = this.lookup(path);
    return Buffer.from(inode.data.subarray(0, inode.len));
  }

  async writeFileDurable(path: string, data: Uint8Array): Promise<void> {
    const f = this.create(path);
    f.append(data);
    f.sync();
    f.close();
  }

  rename(from: string, to: string): void {
    this.step(`rename ${from}`);
    const inode = this.lookup(from);
    this.names.delete(from);
    this.names.set(to, inode);
  }

  delete(path: string): void {
    this.step(`delete ${path}`);
    this.names.delete(path);
  }

  syncDir(dir: string): void {
    this.step(`syncDir ${dir}`);
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const inDir = (n: string) => n.startsWith(prefix) && !n.slice(prefix.length).includes('/');
    for (const name of [...this.durableNames.keys()]) if (inDir(name)) this.durableNames.delete(name);
    for (const [name, inode] of this.names) if (inDir(name)) this.durableNames.set(name, inode);
  }
}
