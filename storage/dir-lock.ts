import * as nodeFs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EdgeKVError } from '../runtime/errors.js';
import { fsyncDirSync } from './fs-node.js';

/**
 * The directory lock (storage/README.md, "Directory lock"). One engine per
 * directory: `LsmEngine.open` takes `<dir>/LOCK` before it reads or writes
 * anything and gives it back in `close`.
 *
 * Node has no flock(2) without a native addon, so the lock is a file that is
 * created atomically and names its holder:
 *  1. the holder line (pid, the pid's start time from /proc, host, a random
 *     token) is written to a private file `LOCK-<pid>-<token>.new` and fsynced;
 *  2. that file is hard-linked to `LOCK`: link(2) fails with EEXIST if `LOCK`
 *     exists, so exactly one opener wins, and `LOCK` never exists without its
 *     full content (a torn or empty LOCK cannot be mistaken for a stale one).
 *  3. A LOCK whose holder is dead (no such pid, or the pid now belongs to a
 *     process started at another time: pid reuse) is stale, left by a crash.
 *     It is broken under a second lock, `LOCK.break`, taken the same way: the
 *     breaker re-reads LOCK and deletes it only if it still holds the stale
 *     holder line, so two openers racing to break one stale lock cannot both
 *     end up holding the directory.
 *  4. `release` deletes LOCK only if it still carries this holder's token.
 */

/** A second engine (in this process or another) tried to open a directory an engine holds. */
export class DirectoryLockedError extends EdgeKVError {
  constructor(readonly dir: string, readonly holder: string, detail = '') {
    super('DIRECTORY_LOCKED', `storage directory ${dir} is locked by ${holder}${detail ? `: ${detail}` : ''}; one engine per directory`);
  }
}

export const LOCK_FILE = 'LOCK';
const BREAK_FILE = 'LOCK.break';

/** Held until `release()`. */
export interface FileLock {
  readonly path: string;
  release(): void;
}

interface Holder {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); 0 where /proc is missing. */
  start: number;
  host: string;
  token: string;
}

function processStart(pid: number): number | null {
  try {
    const stat = nodeFs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: fields restart after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return null;
    return 0;
  }
}

const haveProc = nodeFs.existsSync('/proc/self/stat');

function self(): Holder {
  return { pid: process.pid, start: haveProc ? (processStart(process.pid) ?? 0) : 0, host: hostname(), token: randomBytes(8).toString('hex') };
}

function encode(h: Holder): string {
  return `pid=${h.pid} start=${h.start} host=${h.host} token=${h.token}\n`;
}

function decode(s: string): Holder | null {
  const m = /^pid=(\d+) start=(\d+) host=(\S*) token=([0-9a-f]+)\n?$/.exec(s);
  if (m === null) return null;
  return { pid: Number(m[1]), start: Number(m[2]), host: m[3]!, token: m[4]! };
}

export function describeHolder(content: string): string {
  const h = decode(content);
  return h === null ? 'an unreadable LOCK file' : `process ${h.pid} on ${h.host}${h.pid === process.pid && h.host === hostname() ? ' (this process)' : ''}`;
}

/** False only when the holder is certainly gone: same host, and its pid is dead or reused. */
function holderAlive(h: Holder): boolean {
  if (h.host !== hostname()) return true; // a shared disk: nothing to check the other host's processes with
  if (haveProc) {
    const start = processStart(h.pid);
    if (start === null) return false;
    return h.start === 0 || start === 0 || start === h.start;
  }
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOrNull(path: string): string | null {
  try {
    return nodeFs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

/** Creates `path` holding `content`, atomically and only if it does not exist; false if it does. */
function createExclusive(path: string, content: string): boolean {
  const tmp = `${dirOf(path)}/LOCK-${process.pid}-${randomBytes(6).toString('hex')}.new`;
  const fd = nodeFs.openSync(tmp, 'wx', 0o644);
  try {
    nodeFs.writeSync(fd, content);
    nodeFs.fsyncSync(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
  try {
    nodeFs.linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: O_EXCL create, which a crash can leave empty (then refused as unreadable).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createExclusiveNoLink(path, content);
    throw e;
  } finally {
    nodeFs.rmSync(tmp, { force: true });
  }
}

function createExclusiveNoLink(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = nodeFs.openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    nodeFs.writeSync(fd, content);
    nodeFs.fsyncSync(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
  return true;
}

/**
 * Worker threads share their process's pid, so the lock of an engine whose
 * thread was terminated (a crash) never looks stale. Whoever saw that thread
 * exit (the cluster supervisor) breaks it with this: `<dir>/LOCK` is deleted
 * only when this process holds it. Returns whether it did.
 */
export function breakLockOfDeadThread(dir: string): boolean {
  const path = `${dir}/${LOCK_FILE}`;
  const content = readOrNull(path);
  const h = content === null ? null : decode(content);
  if (h === null || h.pid !== process.pid || h.host !== hostname()) return false;
  removeIfContent(path, content!);
  return true;
}

/** Deletes `LOCK-<pid>-*.new` files left by openers that died between writing and linking them. */
function dropDeadTemps(dir: string): void {
  let names: string[];
  try {
    names = nodeFs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^LOCK-(\d+)-[0-9a-f]+\.new$/.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    if (holderAlive({ pid, start: 0, host: hostname(), token: '' })) continue;
    nodeFs.rmSync(`${dir}/${name}`, { force: true });
  }
}

function removeIfContent(path: string, content: string): void {
  if (readOrNull(path) === content) nodeFs.rmSync(path, { force: true });
}

/** Deletes the stale lock `path` (still holding `stale`) under the break lock. */
function breakStale(dir: string, path: string, stale: string): void {
  const guard = `${dirOf(path)}/${BREAK_FILE}`;
  const mine = encode(self());
  if (!createExclusive(guard, mine)) {
    const other = readOrNull(guard);
    if (other === null) return; // the other breaker just finished: retry from the top
    const h = decode(other);
    if (h !== null && holderAlive(h)) throw new DirectoryLockedError(dir, describeHolder(stale), `a stale lock is being broken by ${describeHolder(other)}`);
    // The breaker died inside its few-microsecond window; its guard is stale itself.
    removeIfContent(guard, other);
    return;
  }
  try {
    removeIfContent(path, stale);
  } finally {
    removeIfContent(guard, mine);
  }
}

/** Takes the exclusive lock on `<dir>/LOCK` for this process (see the top of this file). */
export function lockDirectoryNode(dir: string, path: string): FileLock {
  const me = encode(self());
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, me)) {
      fsyncDirSync(dirOf(path));
      dropDeadTemps(dirOf(path));
      let held = true;
      return {
        path,
        release(): void {
          if (!held) return;
          held = false;
          removeIfContent(path, me);
        },
      };
    }
    const content = readOrNull(path);
    if (content === null) continue; // released meanwhile
    const h = decode(content);
    if (h === null) throw new DirectoryLockedError(dir, describeHolder(content), `delete ${path} if no engine uses the directory`);
    if (holderAlive(h)) throw new DirectoryLockedError(dir, describeHolder(content));
    breakStale(dir, path, content);
  }
  throw new DirectoryLockedError(dir, 'racing openers', 'the lock changed hands repeatedly while opening');
}
