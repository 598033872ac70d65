import * as fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CorruptionError } from '../../runtime/errors.js';
import { fsyncDirSync } from '../fs-node.js';
import { allZero, readRecord, RecordType, RECORD_HEADER_BYTES } from '../log-format.js';
import { decodeWalRecord, type WalRecord } from './codec.js';

/**
 * The Raft log store's write-ahead log (FORMAT.md, "WAL"): segment files
 * `wal-<first seq, 16 digits>.log` in a directory, each a sequence of
 * log-format.ts records of type RaftLog.
 */

export interface SegmentRef {
  /** Sequence number of the first record the segment holds (or will hold). */
  readonly seq: number;
  readonly path: string;
}

const SEGMENT_RE = /^wal-(\d{16})\.log$/;

export function segmentName(seq: number): string {
  return `wal-${seq.toString().padStart(16, '0')}.log`;
}

export function listSegments(dir: string): SegmentRef[] {
  const out: SegmentRef[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = SEGMENT_RE.exec(name);
    if (m) out.push({ seq: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

const writeP = promisify(fs.write);
const fdatasyncP = promisify(fs.fdatasync);
const closeP = promisify(fs.close);
const openP = promisify(fs.open);
const fsyncP = promisify(fs.fsync);

async function fsyncDir(dir: string): Promise<void> {
  const fd = await openP(dir, 'r');
  try {
    await fsyncP(fd);
  } finally {
    await closeP(fd);
  }
}

export interface SegmentRead {
  readonly records: { record: WalRecord; offset: number }[];
  /** Offset of a torn final record (an append a crash cut short), or null. */
  readonly tornAt: number | null;
}

/** The unit a disk writes whole. */
const SECTOR_BYTES = 512;

/**
 * Whether some sector's share of buf[from, to) is all zeroes: a part of an
 * append that never reached the disk (the file was extended, the sector
 * never written), as etcd's WAL tells a torn write from a corrupt one.
 */
function hasZeroSector(buf: Buffer, from: number, to: number): boolean {
  for (let s = from - (from % SECTOR_BYTES); s < to; s += SECTOR_BYTES) {
    if (allZero(buf, Math.max(s, from), Math.min(s + SECTOR_BYTES, to))) return true;
  }
  return false;
}

/**
 * Reads every record of a segment. Only the last segment may end in a torn
 * record: the file ends inside it, or it is followed by nothing but zeroes
 * (space a file system extended but never wrote), or its header is intact,
 * its body reaches the end of the file (or zeroes) and fails the checksum
 * with a sector of it all zeroes (an append only partly written). A last
 * record whose bytes are all there and wrong is corruption, not a torn
 * write: it may have been acknowledged, so it is reported, never dropped.
 * Anything else that fails a checksum, or a torn record in an older
 * segment, is corruption too.
 */
export function readSegment(path: string, isLast: boolean): SegmentRead {
  const buf = fs.readFileSync(path);
  const records: { record: WalRecord; offset: number }[] = [];
  let pos = 0;
  for (;;) {
    const r = readRecord(buf, pos);
    if (r.kind === 'eof') return { records, tornAt: null };
    if (r.kind === 'torn') {
      if (isLast) return { records, tornAt: r.offset };
      throw new CorruptionError(`raft WAL ${path} at offset ${r.offset}: torn record in a segment that is not the last`);
    }
    if (r.kind === 'corrupt') {
      if (isLast && r.reason === 'record checksum mismatch') {
        const end = r.offset + RECORD_HEADER_BYTES + buf.readUInt32LE(r.offset + 4);
        const tail = end >= buf.length || allZero(buf, end);
        if (tail && hasZeroSector(buf, r.offset + RECORD_HEADER_BYTES, Math.min(end, buf.length))) return { records, tornAt: r.offset };
      }
      throw new CorruptionError(`raft WAL ${path} at offset ${r.offset}: ${r.reason}`);
    }
    if (r.type !== RecordType.RaftLog) throw new CorruptionError(`raft WAL ${path} at offset ${pos}: unexpected record type ${r.type}`);
    records.push({ record: decodeWalRecord(r.payload, `raft WAL ${path} at offset ${pos}`), offset: pos });
    pos = r.next;
  }
}

/** Cuts a torn tail off a segment, durably. */
export function truncateSegmentSync(path: string, length: number): void {
  const fd = fs.openSync(path, 'r+');
  try {
    fs.ftruncateSync(fd, length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The segment being appended to. A synced append is one write(2) on a
 * descriptor opened with O_DSYNC (the write returns once the record is on
 * stable storage: one device flush). Unsynced appends (a Ready with
 * mustSync=false) go through a plain descriptor; the next synced append then
 * writes through the plain descriptor and fdatasyncs it, which covers them too.
 */
export class SegmentFile {
  private unsynced = false;

  private constructor(
    readonly ref: SegmentRef,
    private readonly fd: number,
    /** O_DSYNC descriptor of the same file; equal to `fd` when syncing is off. */
    private readonly dsyncFd: number,
    private readonly noSync: boolean,
  ) {}

  private static flags(noSync: boolean): { plain: number; dsync: number } {
    const c = fs.constants;
    const plain = c.O_WRONLY | c.O_APPEND | c.O_CREAT;
    return { plain, dsync: noSync ? plain : plain | c.O_DSYNC };
  }

  /** Opens (creating if missing) a segment and makes its directory entry durable. */
  static openSync(dir: string, seq: number, noSync: boolean): SegmentFile {
    const path = join(dir, segmentName(seq));
    const f = SegmentFile.flags(noSync);
    const fd = fs.openSync(path, f.plain, 0o644);
    const dsyncFd = noSync ? fd : fs.openSync(path, f.dsync);
    if (!noSync) fsyncDirSync(dir);
    return new SegmentFile({ seq, path }, fd, dsyncFd, noSync);
  }

  static async open(dir: string, seq: number, noSync: boolean): Promise<SegmentFile> {
    const path = join(dir, segmentName(seq));
    const f = SegmentFile.flags(noSync);
    const fd = await openP(path, f.plain, 0o644);
    const dsyncFd = noSync ? fd : await openP(path, f.dsync);
    if (!noSync) await fsyncDir(dir);
    return new SegmentFile({ seq, path }, fd, dsyncFd, noSync);
  }

  /** Appends one framed record; with `sync`, resolves once it (and every earlier append) is durable. */
  async append(rec: Buffer, sync: boolean): Promise<void> {
    if (!sync || this.noSync) {
      await writeAll(this.fd, rec);
      if (!this.noSync) this.unsynced = true;
      return;
    }
    if (this.unsynced) {
      await writeAll(this.fd, rec);
      await fdatasyncP(this.fd);
      this.unsynced = false;
      return;
    }
    await writeAll(this.dsyncFd, rec);
  }

  /** Makes earlier unsynced appends durable. */
  async sync(): Promise<void> {
    if (!this.unsynced) return;
    await fdatasyncP(this.fd);
    this.unsynced = false;
  }

  async close(): Promise<void> {
    await closeP(this.fd);
    if (this.dsyncFd !== this.fd) await closeP(this.dsyncFd);
  }
}

async function writeAll(fd: number, buf: Buffer): Promise<void> {
  let at = 0;
  while (at < buf.length) {
    const { bytesWritten } = await writeP(fd, buf, at, buf.length - at);
    at += bytesWritten;
  }
}
