import { maskedCrc } from './checksum.js';
import { CorruptionError } from './errors.js';
import { parseFileName, tableFileName, CURRENT_FILE } from './filenames.js';
import { joinPath, type FileSystem } from './fs.js';
import { ManifestWriter } from './manifest.js';
import { decodeEdit, encodeEdit, type VersionEdit } from './version-edit.js';

/**
 * A whole-engine snapshot for Raft InstallSnapshot: the file set (as one
 * manifest edit) and every table's bytes, each section checksummed (see FORMAT.md):
 *   magic "EKVSNAP1" | editLen u32 | edit | editCrc u32 | fileCount u32 |
 *   per file: number u48 | length u32 | bytes | crc u32
 */
const MAGIC = Buffer.from('EKVSNAP1', 'ascii');

export interface SnapshotContents {
  edit: VersionEdit;
  files: { number: number; bytes: Buffer }[];
}

export function encodeSnapshot(s: SnapshotContents): Buffer {
  const edit = encodeEdit(s.edit);
  const parts: Buffer[] = [MAGIC];
  const h = Buffer.allocUnsafe(4);
  h.writeUInt32LE(edit.length);
  parts.push(h, edit);
  const c = Buffer.allocUnsafe(8);
  c.writeUInt32LE(maskedCrc(edit), 0);
  c.writeUInt32LE(s.files.length, 4);
  parts.push(c);
  for (const f of s.files) {
    const fh = Buffer.allocUnsafe(10);
    fh.writeUIntLE(f.number, 0, 6);
    fh.writeUInt32LE(f.bytes.length, 6);
    const crc = Buffer.allocUnsafe(4);
    crc.writeUInt32LE(maskedCrc(f.bytes));
    parts.push(fh, f.bytes, crc);
  }
  return Buffer.concat(parts);
}

export function decodeSnapshot(buf: Buffer): SnapshotContents {
  const bad = (why: string) => new CorruptionError(`engine snapshot: ${why}`);
  if (buf.length < 20 || !buf.subarray(0, 8).equals(MAGIC)) throw bad('bad magic');
  let pos = 8;
  const editLen = buf.readUInt32LE(pos);
  pos += 4;
  if (pos + editLen + 8 > buf.length) throw bad('truncated edit');
  const editBytes = buf.subarray(pos, pos + editLen);
  pos += editLen;
  if (buf.readUInt32LE(pos) !== maskedCrc(editBytes)) throw bad('edit checksum mismatch');
  const edit = decodeEdit(editBytes);
  const count = buf.readUInt32LE(pos + 4);
  pos += 8;
  const files: SnapshotContents['files'] = [];
  for (let i = 0; i < count; i++) {
    if (pos + 10 > buf.length) throw bad('truncated file header');
    const number = buf.readUIntLE(pos, 6);
    const len = buf.readUInt32LE(pos + 6);
    pos += 10;
    if (pos + len + 4 > buf.length) throw bad(`truncated file ${number}`);
    const bytes = buf.subarray(pos, pos + len);
    if (buf.readUInt32LE(pos + len) !== maskedCrc(bytes)) throw bad(`file ${number} checksum mismatch`);
    files.push({ number, bytes });
    pos += len + 4;
  }
  if (pos !== buf.length) throw bad('trailing bytes');
  const wanted = new Set(edit.added.map((a) => a.file.number));
  for (const f of files) wanted.delete(f.number);
  if (wanted.size > 0) throw bad(`missing files ${[...wanted].join(', ')}`);
  return { edit, files };
}

/**
 * Replaces whatever engine is in `dir` with the snapshot. The old engine is
 * uninstalled first (CURRENT removed) and the new one installed last (CURRENT
 * written by rename), so a crash leaves the old state, an empty engine, or the
 * new state — never a mix. The engine must be closed.
 */
export function restoreSnapshot(fs: FileSystem, dir: string, snapshot: Buffer): void {
  const s = decodeSnapshot(snapshot);
  fs.mkdirp(dir);
  const current = joinPath(dir, CURRENT_FILE);
  if (fs.exists(current)) {
    fs.delete(current);
    fs.syncDir(dir);
  }
  for (const name of fs.list(dir)) {
    if (parseFileName(name).kind !== 'other') fs.delete(joinPath(dir, name));
  }
  for (const f of s.files) {
    const w = fs.create(joinPath(dir, tableFileName(f.number)));
    w.append(f.bytes);
    w.sync();
    w.close();
  }
  fs.syncDir(dir);
  let next = s.edit.nextFileNumber ?? 1;
  for (const f of s.files) next = Math.max(next, f.number + 1);
  const manifestNumber = next;
  const edit: VersionEdit = { ...s.edit, nextFileNumber: manifestNumber + 1, logNumber: manifestNumber + 1 };
  ManifestWriter.create(fs, dir, manifestNumber, edit).close();
}
