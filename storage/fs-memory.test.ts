import { describe, expect, it } from 'vitest';
import { MemoryFileSystem, SimulatedCrashError } from './fs-memory.js';

describe('MemoryFileSystem crash model', () => {
  it('keeps file contents only up to the last sync', () => {
    const fs = new MemoryFileSystem();
    const f = fs.create('/d/a');
    fs.syncDir('/d');
    f.append(Buffer.from('abc'));
    f.sync();
    f.append(Buffer.from('def'));
    expect(fs.readFile('/d/a').toString()).toBe('abcdef');
    fs.crash();
    expect(fs.readFile('/d/a').toString()).toBe('abc');
  });

  it('keeps creations, renames and deletions only after the directory is synced', () => {
    const fs = new MemoryFileSystem();
    const a = fs.create('/d/a');
    a.sync();
    fs.crash();
    expect(fs.exists('/d/a')).toBe(false);
    fs.create('/d/b').sync();
    fs.syncDir('/d');
    fs.rename('/d/b', '/d/c');
    fs.crash();
    expect(fs.list('/d')).toEqual(['b']);
    fs.rename('/d/b', '/d/c');
    fs.syncDir('/d');
    fs.delete('/d/c');
    fs.crash();
    expect(fs.list('/d')).toEqual(['c']);
  });

  it('crashes at an injected point with a torn append, then refuses everything until crash()', () => {
    const fs = new MemoryFileSystem();
    const f = fs.create('/d/a');
    fs.syncDir('/d');
    fs.failAfter(1);
    expect(() => f.append(Buffer.from('12345678'))).toThrow(SimulatedCrashError);
    expect(() => fs.list('/d')).toThrow(SimulatedCrashError);
    expect(() => f.sync()).toThrow(SimulatedCrashError);
    fs.crash();
    expect(fs.readFile('/d/a').length).toBe(0);
  });
});
