import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRecords, ResultsWriter, SAMPLES_FILE, timestampName } from './writer.js';
import { sampleRun } from './sample-records.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'edgekv-results-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('ResultsWriter', () => {
  it('names the directory <root>/<topology>/<timestamp> with a filesystem-safe timestamp', () => {
    expect(timestampName(new Date('2026-11-22T06:10:33.456Z'))).toBe('2026-11-22T06-10-33Z');
    const w = ResultsWriter.create(root, 'paper', new Date('2026-11-22T06:10:33.456Z'));
    w.close();
    expect(w.dir).toBe(join(root, 'paper', '2026-11-22T06-10-33Z'));
    expect(readFileSync(join(w.dir, SAMPLES_FILE), 'utf8')).toBe('');
  });

  it('gives two runs started in the same second different directories', () => {
    const now = new Date('2026-11-22T06:10:33Z');
    const a = ResultsWriter.create(root, 'paper', now);
    const b = ResultsWriter.create(root, 'paper', now);
    a.close();
    b.close();
    expect(a.dir).not.toBe(b.dir);
    expect(basename(b.dir)).toBe('2026-11-22T06-10-33Z-2');
  });

  it('keeps a topology name with a path separator inside the root', () => {
    const w = ResultsWriter.create(root, '../evil/name');
    w.close();
    expect(dirname(dirname(w.dir))).toBe(root);
  });

  it('round-trips records through samples.jsonl, flushing on close', () => {
    const records = sampleRun();
    const w = ResultsWriter.create(root, 'paper');
    for (const r of records) w.write(r);
    w.close();
    w.close();
    expect(readRecords(w.dir)).toEqual(records);
    expect(readRecords(join(w.dir, SAMPLES_FILE))).toEqual(records);
    expect(() => w.write(records[0]!)).toThrow(/closed/);
  });

  it('writes what is buffered on flush(), one JSON object per line', () => {
    const [first, second] = sampleRun();
    const w = ResultsWriter.create(root, 'paper');
    w.write(first!);
    w.write(second!);
    w.flush();
    const lines = readFileSync(join(w.dir, SAMPLES_FILE), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([first, second]);
    w.close();
  });
});

describe('readRecords', () => {
  it('names the file and line of a malformed line', () => {
    const file = join(root, SAMPLES_FILE);
    const good = JSON.stringify(sampleRun()[0]);
    writeFileSync(file, `${good}\n\n${good}\n{"type":"tick","variant":"a",\n`);
    expect(() => readRecords(root)).toThrow(new RegExp(`${SAMPLES_FILE}:4: not valid JSON`));
  });

  it('rejects a line that is JSON but not a run record', () => {
    writeFileSync(join(root, SAMPLES_FILE), '{"type":"tick","variant":"a"}\n{"type":"nonsense","variant":"a"}\n');
    expect(() => readRecords(root)).toThrow(/:2: not a run record/);
    writeFileSync(join(root, SAMPLES_FILE), '[1,2]\n');
    expect(() => readRecords(root)).toThrow(/:1: not a run record/);
    writeFileSync(join(root, SAMPLES_FILE), '{"type":"tick"}\n');
    expect(() => readRecords(root)).toThrow(/:1: a tick record without a "variant"/);
  });
});
