import { LSM_DEFAULTS } from './defaults.js';
import { CorruptionError } from './errors.js';
import type { FileSystem } from './fs.js';
import { ManifestWriter, readManifest } from './manifest.js';
import { compareBySmallest, compareL0, Version, type FileMeta } from './version.js';
import type { VersionEdit } from './version-edit.js';

/** Applies an edit to a version, giving the next one. */
export function applyEdit(base: Version, edit: VersionEdit): Version {
  const levels = base.levels.map((l) => [...l]);
  for (const d of edit.deleted) {
    const files = levels[d.level];
    if (files === undefined) throw new CorruptionError(`manifest edit deletes from level ${d.level}`);
    const i = files.findIndex((f) => f.number === d.number);
    if (i < 0) throw new CorruptionError(`manifest edit deletes file ${d.number} not in level ${d.level}`);
    files.splice(i, 1);
  }
  for (const a of edit.added) {
    const files = levels[a.level];
    if (files === undefined) throw new CorruptionError(`manifest edit adds to level ${a.level}`);
    files.push(a.file);
  }
  levels[0]!.sort(compareL0);
  for (let i = 1; i < levels.length; i++) levels[i]!.sort(compareBySmallest);
  return new Version(levels);
}

/**
 * The current file set and the engine's durable counters; every change goes
 * through `logAndApply`, which makes it durable in the manifest first.
 */
export class VersionSet {
  current: Version;
  nextFileNumber = 2;
  lastSequence = 0;
  logNumber = 0;
  appliedIndex = 0;
  private manifest: ManifestWriter | null = null;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly numLevels: number = LSM_DEFAULTS.numLevels,
    private readonly maxManifestBytes: number = LSM_DEFAULTS.maxManifestFileSizeBytes,
  ) {
    this.current = Version.empty(numLevels);
  }

  get manifestNumber(): number {
    return this.manifest?.number ?? 0;
  }

  newFileNumber(): number {
    return this.nextFileNumber++;
  }

  /** Loads the manifest if there is one; returns false for a fresh directory. */
  recover(): boolean {
    const m = readManifest(this.fs, this.dir);
    if (m === null) return false;
    let v = Version.empty(this.numLevels);
    for (const e of m.edits) {
      v = applyEdit(v, e);
      if (e.logNumber !== undefined) this.logNumber = e.logNumber;
      if (e.nextFileNumber !== undefined) this.nextFileNumber = e.nextFileNumber;
      if (e.lastSequence !== undefined) this.lastSequence = e.lastSequence;
      if (e.appliedIndex !== undefined) this.appliedIndex = e.appliedIndex;
    }
    this.current = v;
    this.nextFileNumber = Math.max(this.nextFileNumber, m.number + 1);
    return true;
  }

  /** Everything the current state is, as one edit: the first record of a new manifest. */
  snapshotEdit(): VersionEdit {
    const added: VersionEdit['added'] = [];
    this.current.levels.forEach((files, level) => files.forEach((file) => added.push({ level, file })));
    return {
      logNumber: this.logNumber,
      nextFileNumber: this.nextFileNumber,
      lastSequence: this.lastSequence,
      appliedIndex: this.appliedIndex,
      added,
      deleted: [],
    };
  }

  /** Starts a fresh manifest holding the current state (at open, and when the old one grows too big). */
  rotateManifest(): void {
    const number = this.newFileNumber();
    const old = this.manifest;
    this.manifest = ManifestWriter.create(this.fs, this.dir, number, this.snapshotEdit());
    old?.close();
  }

  /** Makes `edit` durable, then installs the version it produces. */
  logAndApply(edit: VersionEdit): Version {
    if (this.manifest === null) throw new Error('VersionSet.logAndApply before the manifest is open');
    const next = applyEdit(this.current, edit);
    const full: VersionEdit = {
      ...edit,
      nextFileNumber: this.nextFileNumber,
      lastSequence: Math.max(this.lastSequence, edit.lastSequence ?? 0),
    };
    this.manifest.append(full);
    this.current = next;
    if (edit.logNumber !== undefined) this.logNumber = edit.logNumber;
    if (edit.appliedIndex !== undefined) this.appliedIndex = Math.max(this.appliedIndex, edit.appliedIndex);
    this.lastSequence = full.lastSequence!;
    if (this.manifest.sizeBytes > this.maxManifestBytes) this.rotateManifest();
    return next;
  }

  close(): void {
    this.manifest?.close();
    this.manifest = null;
  }
}

export type { FileMeta };
