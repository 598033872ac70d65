import type { BlockCache } from './block-cache.js';
import { tableFileName } from './filenames.js';
import { joinPath, type FileSystem } from './fs.js';
import { SSTableReader, type CorruptionListener } from './sstable-reader.js';
import type { FileMeta } from './version.js';

/** Open table readers by file number, LRU-bounded so an edge node keeps few descriptors open. */
export class TableCache {
  private readonly open = new Map<number, SSTableReader>();

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly blockCache: BlockCache | null,
    private readonly capacity: number,
    private readonly onCorruption: CorruptionListener | null,
    /** False while an open iterator's pinned version still reads the file: such readers stay open. */
    private readonly mayClose: (fileNumber: number) => boolean = () => true,
  ) {}

  get(file: FileMeta): SSTableReader {
    const hit = this.open.get(file.number);
    if (hit !== undefined) {
      // Recency only matters when the cache is full; skip the Map churn otherwise.
      if (this.open.size >= this.capacity) {
        this.open.delete(file.number);
        this.open.set(file.number, hit);
      }
      return hit;
    }
    const name = tableFileName(file.number);
    const source = this.fs.openRead(joinPath(this.dir, name));
    let reader: SSTableReader;
    try {
      reader = SSTableReader.open(source, file.number, name, this.blockCache, this.onCorruption);
    } catch (e) {
      source.close();
      throw e;
    }
    this.open.set(file.number, reader);
    if (this.open.size > this.capacity) {
      for (const [number, r] of this.open) {
        if (this.open.size <= this.capacity) break;
        if (number === file.number || !this.mayClose(number)) continue;
        this.open.delete(number);
        r.close();
      }
    }
    return reader;
  }

  evict(number: number): void {
    const r = this.open.get(number);
    if (r !== undefined) {
      r.close();
      this.open.delete(number);
    }
  }

  close(): void {
    for (const r of this.open.values()) r.close();
    this.open.clear();
  }
}
