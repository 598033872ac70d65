import { CorruptionError } from './errors.js';
import { joinPath, writeFileAtomic, type FileSystem, type WritableFile } from './fs.js';
import { CURRENT_FILE, manifestFileName } from './filenames.js';
import { encodeRecord, readRecord, RecordType } from './log-format.js';
import { decodeEdit, encodeEdit, type VersionEdit } from './version-edit.js';

/**
 * The manifest is a log of VersionEdits framed like the WAL. CURRENT names the
 * live manifest and is replaced by rename, so switching manifests is atomic.
 */
export class ManifestWriter {
  private constructor(private readonly file: WritableFile, readonly number: number) {}

  /** Starts a new manifest whose first record is `snapshot`, then points CURRENT at it. */
  static create(fs: FileSystem, dir: string, number: number, snapshot: VersionEdit): ManifestWriter {
    const name = manifestFileName(number);
    const file = fs.create(joinPath(dir, name));
    const w = new ManifestWriter(file, number);
    w.append(snapshot);
    fs.syncDir(dir);
    writeFileAtomic(fs, dir, CURRENT_FILE, Buffer.from(`${name}\n`));
    return w;
  }

  get sizeBytes(): number {
    return this.file.sizeBytes;
  }

  /** Durable on return: the edit is committed once this sync completes. */
  append(edit: VersionEdit): void {
    this.file.append(encodeRecord(RecordType.VersionEdit, encodeEdit(edit)));
    this.file.sync();
  }

  close(): void {
    this.file.close();
  }
}

/** Reads CURRENT and the manifest it names; null if the directory holds no engine. */
export function readManifest(fs: FileSystem, dir: string): { number: number; edits: VersionEdit[] } | null {
  const currentPath = joinPath(dir, CURRENT_FILE);
  if (!fs.exists(currentPath)) return null;
  const current = fs.readFile(currentPath).toString('utf8');
  const m = /^MANIFEST-(\d+)\n$/.exec(current);
  if (!m) throw new CorruptionError(`${currentPath}: malformed (${JSON.stringify(current.slice(0, 40))})`);
  const name = manifestFileName(Number(m[1]));
  const path = joinPath(dir, name);
  if (!fs.exists(path)) throw new CorruptionError(`${currentPath} names ${name}, which is missing`);
  const data = fs.readFile(path);
  const edits: VersionEdit[] = [];
  let pos = 0;
  for (;;) {
    const r = readRecord(data, pos);
    // A torn last record is an edit whose sync never returned: it was never committed.
    if (r.kind === 'eof' || r.kind === 'torn') break;
    if (r.kind === 'corrupt') throw new CorruptionError(`${path} at offset ${r.offset}: ${r.reason}`);
    if (r.type !== RecordType.VersionEdit) throw new CorruptionError(`${path} at offset ${pos}: record type ${r.type}`);
    edits.push(decodeEdit(r.payload));
    pos = r.next;
  }
  if (edits.length === 0) throw new CorruptionError(`${path}: no complete edit`);
  return { number: Number(m[1]), edits };
}
