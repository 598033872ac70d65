import { Packr } from 'msgpackr';
import { CorruptionError } from './errors.js';
import type { FileMeta } from './version.js';

/** One atomic change of the file set and the counters, as appended to the manifest. */
export interface VersionEdit {
  /** WAL files numbered below this hold nothing that is not in tables. */
  logNumber?: number;
  nextFileNumber?: number;
  lastSequence?: number;
  /** Highest Raft index whose effects are in tables (recovery resumes after it). */
  appliedIndex?: number;
  added: { level: number; file: FileMeta }[];
  deleted: { level: number; number: number }[];
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

type Row = [number, number, number, Uint8Array, Uint8Array, number, number, number, number];

/** msgpack map with short keys (see FORMAT.md). */
export function encodeEdit(edit: VersionEdit): Buffer {
  const obj: Record<string, unknown> = {};
  if (edit.logNumber !== undefined) obj.log = edit.logNumber;
  if (edit.nextFileNumber !== undefined) obj.next = edit.nextFileNumber;
  if (edit.lastSequence !== undefined) obj.seq = edit.lastSequence;
  if (edit.appliedIndex !== undefined) obj.applied = edit.appliedIndex;
  obj.add = edit.added.map(({ level, file: f }): Row => [
    level,
    f.number,
    f.sizeBytes,
    f.smallest,
    f.largest,
    f.smallestSeq,
    f.largestSeq,
    f.numEntries,
    f.numDeletions,
  ]);
  obj.del = edit.deleted.map((d) => [d.level, d.number]);
  return packr.pack(obj);
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CorruptionError(`manifest edit: bad ${what}`);
  return v;
}

function optNum(v: unknown, what: string): number | undefined {
  return v === undefined ? undefined : num(v, what);
}

function bytes(v: unknown, what: string): Buffer {
  if (!(v instanceof Uint8Array)) throw new CorruptionError(`manifest edit: bad ${what}`);
  return Buffer.from(v);
}

export function decodeEdit(payload: Buffer): VersionEdit {
  let obj: unknown;
  try {
    obj = packr.unpack(payload);
  } catch (e) {
    throw new CorruptionError(`manifest edit: undecodable (${(e as Error).message})`);
  }
  if (typeof obj !== 'object' || obj === null) throw new CorruptionError('manifest edit: not a map');
  const o = obj as Record<string, unknown>;
  if (!Array.isArray(o.add) || !Array.isArray(o.del)) throw new CorruptionError('manifest edit: missing file lists');
  const edit: VersionEdit = {
    added: o.add.map((r: unknown) => {
      if (!Array.isArray(r) || r.length !== 9) throw new CorruptionError('manifest edit: bad file row');
      return {
        level: num(r[0], 'level'),
        file: {
          number: num(r[1], 'file number'),
          sizeBytes: num(r[2], 'size'),
          smallest: bytes(r[3], 'smallest key'),
          largest: bytes(r[4], 'largest key'),
          smallestSeq: num(r[5], 'smallest seq'),
          largestSeq: num(r[6], 'largest seq'),
          numEntries: num(r[7], 'entries'),
          numDeletions: num(r[8], 'deletions'),
        },
      };
    }),
    deleted: o.del.map((r: unknown) => {
      if (!Array.isArray(r) || r.length !== 2) throw new CorruptionError('manifest edit: bad deletion row');
      return { level: num(r[0], 'level'), number: num(r[1], 'file number') };
    }),
  };
  const log = optNum(o.log, 'log number');
  const next = optNum(o.next, 'next file number');
  const seq = optNum(o.seq, 'last sequence');
  const applied = optNum(o.applied, 'applied index');
  if (log !== undefined) edit.logNumber = log;
  if (next !== undefined) edit.nextFileNumber = next;
  if (seq !== undefined) edit.lastSequence = seq;
  if (applied !== undefined) edit.appliedIndex = applied;
  return edit;
}
