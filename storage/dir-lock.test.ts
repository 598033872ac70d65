import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { breakLockOfDeadThread, DirectoryLockedError, lockDirectoryNode } from './dir-lock.js';
import { LsmEngine } from './engine.js';
import { MemoryFileSystem } from './fs-memory.js';
import { NodeFileSystem } from './fs-node.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'edgekv-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function startOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function lockLine(pid: number, start: number, host = hostname()): string {
  return `pid=${pid} start=${start} host=${host} token=0123456789abcdef\n`;
}

describe('directory lock (real disk)', () => {
  it('a second engine on the same directory fails with a typed error naming the directory and the holder; close frees it', async () => {
    const dir = tempDir();
    const a = await LsmEngine.open({ fs: new NodeFileSystem(), dir });
    await a.put('local', Buffer.from('k'), Buffer.from('v'));
    const err = await LsmEngine.open({ fs: new NodeFileSystem(), dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryLockedError);
    expect((err as DirectoryLockedError).code).toBe('DIRECTORY_LOCKED');
    expect((err as DirectoryLockedError).dir).toBe(dir);
    expect((err as DirectoryLockedError).holder).toContain(`process ${process.pid}`);
    expect((err as Error).message).toContain(dir);
    // The refused open touched nothing: the first engine still works.
    expect(a.get('local', Buffer.from('k'))?.toString()).toBe('v');
    await a.close();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    const b = await LsmEngine.open({ fs: new NodeFileSystem(), dir });
    expect(b.get('local', Buffer.from('k'))?.toString()).toBe('v');
    await b.close();
    // No helper files are left behind.
    expect(readdirSync(dir).filter((n) => n.startsWith('LOCK'))).toEqual([]);
  });

  it('restore refuses a directory a live engine holds, before touching its files', async () => {
    const dir = tempDir();
    const a = await LsmEngine.open({ fs: new NodeFileSystem(), dir });
    await a.put('local', Buffer.from('k'), Buffer.from('v'));
    const snap = await a.createSnapshot();
    await expect(LsmEngine.restore({ fs: new NodeFileSystem(), dir }, snap)).rejects.toBeInstanceOf(DirectoryLockedError);
    expect(a.get('local', Buffer.from('k'))?.toString()).toBe('v');
    await a.close();
    const b = await LsmEngine.restore({ fs: new NodeFileSystem(), dir }, snap);
    expect(b.get('local', Buffer.from('k'))?.toString()).toBe('v');
    await b.close();
  });

  it('a lock held by another live process is refused; once that process is gone the stale lock is broken', async () => {
    const dir = tempDir();
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      writeFileSync(join(dir, 'LOCK'), lockLine(pid, startOf(pid)));
      const err = (() => {
        try {
          lockDirectoryNode(dir, join(dir, 'LOCK'));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(DirectoryLockedError);
      expect((err as DirectoryLockedError).holder).toBe(`process ${pid} on ${hostname()}`);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const e = await LsmEngine.open({ fs: new NodeFileSystem(), dir });
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toContain(`pid=${process.pid} `);
    await e.close();
  });

  it('a lock this process holds (a dead worker thread) is broken only on request, and only when it is this process', () => {
    const dir = tempDir();
    lockDirectoryNode(dir, join(dir, 'LOCK'));
    expect(() => lockDirectoryNode(dir, join(dir, 'LOCK'))).toThrow(DirectoryLockedError);
    expect(breakLockOfDeadThread(dir)).toBe(true);
    const again = lockDirectoryNode(dir, join(dir, 'LOCK'));
    again.release();
    const other = tempDir();
    writeFileSync(join(other, 'LOCK'), lockLine(process.ppid, startOf(process.ppid)));
    expect(breakLockOfDeadThread(other)).toBe(false);
    expect(existsSync(join(other, 'LOCK'))).toBe(true);
  });

  it('a reused pid (same pid, other start time) does not keep a stale lock alive', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), lockLine(process.pid, startOf(process.pid) + 1));
    const l = lockDirectoryNode(dir, join(dir, 'LOCK'));
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).not.toContain('0123456789abcdef');
    l.release();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });

  it('a dead pid (a process that exited) leaves a stale lock that the next open breaks; so does a dead breaker', () => {
    const dir = tempDir();
    const dead = spawnSync('true').pid!;
    writeFileSync(join(dir, 'LOCK'), lockLine(dead, 1));
    writeFileSync(join(dir, 'LOCK.break'), lockLine(dead, 1));
    // The first attempt clears the dead breaker's guard, the next breaks the stale lock.
    const l = lockDirectoryNode(dir, join(dir, 'LOCK'));
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toContain(`pid=${process.pid} `);
    expect(existsSync(join(dir, 'LOCK.break'))).toBe(false);
    l.release();
  });

  it('helper files of an opener that died before linking its LOCK are cleaned up by the next holder', () => {
    const dir = tempDir();
    const dead = spawnSync('true').pid!;
    writeFileSync(join(dir, `LOCK-${dead}-abcdef.new`), lockLine(dead, 1));
    const l = lockDirectoryNode(dir, join(dir, 'LOCK'));
    expect(readdirSync(dir).sort()).toEqual(['LOCK']);
    l.release();
  });

  it('another host, or an unreadable LOCK, is never taken over', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), lockLine(1, 1, 'some-other-host'));
    expect(() => lockDirectoryNode(dir, join(dir, 'LOCK'))).toThrow(/locked by process 1 on some-other-host/);
    writeFileSync(join(dir, 'LOCK'), 'garbage');
    expect(() => lockDirectoryNode(dir, join(dir, 'LOCK'))).toThrow(/unreadable LOCK/);
  });

  it('release leaves a lock that is no longer its own alone', () => {
    const dir = tempDir();
    const l = lockDirectoryNode(dir, join(dir, 'LOCK'));
    writeFileSync(join(dir, 'LOCK'), lockLine(process.pid, startOf(process.pid)));
    l.release();
    expect(existsSync(join(dir, 'LOCK'))).toBe(true);
  });
});

describe('directory lock (in-memory disk)', () => {
  it('one engine per directory; a crash (the process died) frees the lock', async () => {
    const fs = new MemoryFileSystem();
    const a = await LsmEngine.open({ fs, dir: '/db' });
    await expect(LsmEngine.open({ fs, dir: '/db' })).rejects.toThrow(/\/db is locked/);
    // Another directory on the same disk is independent.
    const other = await LsmEngine.open({ fs, dir: '/db2' });
    await other.close();
    await a.put('local', Buffer.from('k'), Buffer.from('v'), { sync: true });
    fs.crash();
    const b = await LsmEngine.open({ fs, dir: '/db' });
    expect(b.get('local', Buffer.from('k'))?.toString()).toBe('v');
    await b.close();
    const c = await LsmEngine.open({ fs, dir: '/db' });
    await c.close();
  });
});
