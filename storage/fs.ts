/**
 * The engine's only door to the disk. Synchronous on purpose: small reads from
 * the page cache cost a few microseconds with readSync but tens through the
 * libuv pool, and a synchronous engine is deterministic under the simulator.
 * Files are append-only once written; nothing is overwritten in place.
 */
import type { FileLock } from './dir-lock.js';

export type { FileLock } from './dir-lock.js';

export interface WritableFile {
  append(data: Uint8Array): void;
  /** Makes everything appended so far durable (fdatasync). */
  sync(): void;
  close(): void;
  readonly sizeBytes: number;
}

export interface RandomAccessFile {
  /** Reads exactly `length` bytes at `offset`, or fewer at end of file. */
  read(offset: number, length: number): Buffer;
  /** Reads into `target[targetOffset, targetOffset + length)`; returns the bytes read. */
  readInto(target: Buffer, targetOffset: number, length: number, offset: number): number;
  close(): void;
  readonly sizeBytes: number;
}

export interface FileSystem {
  mkdirp(dir: string): void;
  /**
   * Takes the engine's exclusive lock on `dir` (its `LOCK` file; see
   * dir-lock.ts) or throws DirectoryLockedError naming the holder. The
   * directory must exist.
   */
  lockDir(dir: string): FileLock;
  /** Names (not paths) of the entries of `dir`; empty if it does not exist. */
  list(dir: string): string[];
  exists(path: string): boolean;
  /** Creates (or truncates) `path` for appending. */
  create(path: string): WritableFile;
  openRead(path: string): RandomAccessFile;
  readFile(path: string): Buffer;
  /** Atomically replaces `to` with `from` (POSIX rename). */
  rename(from: string, to: string): void;
  delete(path: string): void;
  /** Makes creations, renames and deletions in `dir` durable. */
  syncDir(dir: string): void;
  /**
   * Creates `path` with `data` and syncs it, off the caller's thread where the
   * platform allows (tables are megabytes: their write and fdatasync must not
   * stall the event loop that serves reads and writes). The directory entry is
   * durable only after a later `syncDir`.
   */
  writeFileDurable(path: string, data: Uint8Array): Promise<void>;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Writes a small file durably and atomically: temp file, sync, rename, sync dir. */
export function writeFileAtomic(fs: FileSystem, dir: string, name: string, data: Uint8Array): void {
  const tmp = joinPath(dir, `${name}.tmp`);
  const f = fs.create(tmp);
  try {
    f.append(data);
    f.sync();
  } finally {
    f.close();
  }
  fs.rename(tmp, joinPath(dir, name));
  fs.syncDir(dir);
}
