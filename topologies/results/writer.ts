// The results directory of one topology run: `<root>/<topology>/<timestamp>/`
// with the raw records in `samples.jsonl`, one JSON object per line.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../records.js';

export const SAMPLES_FILE = 'samples.jsonl';

/** Buffered lines are appended at least this often, so a crash loses at most about a second of records. */
const FLUSH_INTERVAL_MS = 1000;
/** ...and sooner when this many characters are waiting. */
const FLUSH_CHARS = 64 * 1024;

const RECORD_TYPES = new Set(['meta', 'tick', 'node', 'event', 'phase']);

/** `2026-11-22T06:10:33.120Z` → `2026-11-22T06-10-33Z`: sortable and safe in any filesystem. */
export function timestampName(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** A topology name as a single path segment (no separators, no leading dots). */
function safeSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return s === '' ? 'topology' : s;
}

/** Makes `<parent>/<base>`, or `<base>-2`, `<base>-3`, ... if another run took the name in the same second. */
function makeUniqueDir(parent: string, base: string): string {
  mkdirSync(parent, { recursive: true });
  for (let i = 1; ; i++) {
    const dir = join(parent, i === 1 ? base : `${base}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Appends run records to `samples.jsonl` in a fresh results directory. */
export class ResultsWriter {
  readonly dir: string;
  readonly file: string;
  private pending: string[] = [];
  private pendingChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onExit = () => this.flush();

  private constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, SAMPLES_FILE);
    appendFileSync(this.file, '');
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
    // A process that ends by an uncaught exception or process.exit() still writes what is buffered.
    process.on('exit', this.onExit);
  }

  /** Makes `<rootDir>/<topologyName>/<timestamp>/` (unique even for two runs in the same second). */
  static create(rootDir: string, topologyName: string, now: Date = new Date()): ResultsWriter {
    return new ResultsWriter(makeUniqueDir(join(rootDir, safeSegment(topologyName)), timestampName(now)));
  }

  write(record: RunRecord): void {
    if (this.closed) throw new Error(`ResultsWriter for ${this.dir} is closed`);
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= FLUSH_CHARS) this.flush();
  }

  /** Appends everything buffered to samples.jsonl now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    appendFileSync(this.file, text);
  }

  /** Flushes and stops the timer; further writes throw. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    process.off('exit', this.onExit);
  }
}

/** Parses `<dir>/samples.jsonl` (or a .jsonl file given directly); blank lines are skipped, a malformed line throws naming it. */
export function readRecords(dirOrFile: string): RunRecord[] {
  const file = dirOrFile.endsWith('.jsonl') ? dirOrFile : join(dirOrFile, SAMPLES_FILE);
  const text = readFileSync(file, 'utf8');
  const records: RunRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}): ${preview(line)}`);
    }
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !RECORD_TYPES.has(type)) {
      throw new Error(`${file}:${i + 1}: not a run record (needs "type": one of ${[...RECORD_TYPES].join(', ')}): ${preview(line)}`);
    }
    if (typeof (value as { variant?: unknown }).variant !== 'string') {
      throw new Error(`${file}:${i + 1}: a ${type} record without a "variant": ${preview(line)}`);
    }
    records.push(value as RunRecord);
  }
  return records;
}

const preview = (line: string) => (line.length > 80 ? `${line.slice(0, 80)}…` : line);
