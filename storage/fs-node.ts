import * as nodeFs from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { LOCK_FILE, lockDirectoryNode, type FileLock } from './dir-lock.js';
import { joinPath, type FileSystem, type RandomAccessFile, type WritableFile } from './fs.js';

class NodeWritableFile implements WritableFile {
  private size = 0;
  constructor(private fd: number) {}
  get sizeBytes(): number {
    return this.size;
  }
  append(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) off += nodeFs.writeSync(this.fd, data, off, data.length - off);
    this.size += data.length;
  }
  sync(): void {
    nodeFs.fdatasyncSync(this.fd);
  }
  close(): void {
    if (this.fd >= 0) nodeFs.closeSync(this.fd);
    this.fd = -1;
  }
}

class NodeRandomAccessFile implements RandomAccessFile {
  constructor(private fd: number, readonly sizeBytes: number) {}
  read(offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = nodeFs.readSync(this.fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }
  readInto(target: Buffer, targetOffset: number, length: number, offset: number): number {
    let got = 0;
    while (got < length) {
      const n = nodeFs.readSync(this.fd, target, targetOffset + got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }
  close(): void {
    if (this.fd >= 0) nodeFs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** The real disk through node:fs. */
export class NodeFileSystem implements FileSystem {
  mkdirp(dir: string): void {
    nodeFs.mkdirSync(dir, { recursive: true });
  }
  lockDir(dir: string): FileLock {
    return lockDirectoryNode(dir, joinPath(dir, LOCK_FILE));
  }
  list(dir: string): string[] {
    try {
      return nodeFs.readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
  exists(path: string): boolean {
    return nodeFs.existsSync(path);
  }
  create(path: string): WritableFile {
    return new NodeWritableFile(nodeFs.openSync(path, 'w'));
  }
  openRead(path: string): RandomAccessFile {
    const fd = nodeFs.openSync(path, 'r');
    return new NodeRandomAccessFile(fd, nodeFs.fstatSync(fd).size);
  }
  readFile(path: string): Buffer {
    return nodeFs.readFileSync(path);
  }
  rename(from: string, to: string): void {
    nodeFs.renameSync(from, to);
  }
  delete(path: string): void {
    nodeFs.rmSync(path, { force: true });
  }
  async writeFileDurable(path: string, data: Uint8Array): Promise<void> {
    const fh = await openAsync(path, 'w');
    try {
      let off = 0;
      while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  syncDir(dir: string): void {
    fsyncDirSync(dir);
  }
}

/** Makes a directory's entries (a created, renamed or removed file) durable. */
export function fsyncDirSync(dir: string): void {
  const fd = nodeFs.openSync(dir, 'r');
  try {
    nodeFs.fsyncSync(fd);
  } finally {
    nodeFs.closeSync(fd);
  }
}
