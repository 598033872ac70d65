import { BlockBuilder } from './block-builder.js';
import { bloomHash, buildBloom } from './bloom.js';
import { LSM_DEFAULTS } from './defaults.js';
import { compareKeys, ValueType } from './internal-key.js';
import {
  blockTrailer,
  encodeFooter,
  encodeHandle,
  encodeProps,
  type BlockHandle,
  type TableProperties,
} from './sstable-format.js';

export interface TableBuilderOptions {
  blockSizeBytes: number;
  blockRestartInterval: number;
  bloomBitsPerKey: number;
}

export const DEFAULT_TABLE_OPTIONS: TableBuilderOptions = {
  blockSizeBytes: LSM_DEFAULTS.blockSizeBytes,
  blockRestartInterval: LSM_DEFAULTS.blockRestartInterval,
  bloomBitsPerKey: LSM_DEFAULTS.bloomBitsPerKey,
};

const EMPTY = Buffer.alloc(0);

/**
 * Builds one SSTable in memory (see FORMAT.md). Pure: entries in, bytes out,
 * so the same code serves flushes here and merges on another host. Each user
 * key appears at most once per table, in strictly ascending order.
 */
export class SSTableBuilder {
  private chunks: Buffer[] = [];
  private offset = 0;
  private readonly data: BlockBuilder;
  private readonly index: BlockBuilder;
  private hashes = new Uint32Array(1024);
  private lastKey: Buffer | null = null;
  private firstKey: Buffer | null = null;
  private props = {
    numEntries: 0,
    numDeletions: 0,
    smallestSeq: Number.MAX_SAFE_INTEGER,
    largestSeq: 0,
    rawKeyBytes: 0,
    rawValueBytes: 0,
    numDataBlocks: 0,
  };

  constructor(private readonly options: TableBuilderOptions = DEFAULT_TABLE_OPTIONS) {
    this.data = new BlockBuilder(options.blockRestartInterval, options.blockSizeBytes * 2);
    this.index = new BlockBuilder(1, 4096);
  }

  get numEntries(): number {
    return this.props.numEntries;
  }

  /** Bytes the table would have if finished now (without filter and index). */
  get estimatedBytes(): number {
    return this.offset + this.data.estimatedBytes;
  }

  add(key: Buffer, seq: number, type: ValueType, value: Uint8Array): void {
    if (this.lastKey !== null && compareKeys(this.lastKey, key) >= 0) {
      throw new Error('SSTableBuilder.add: keys must be strictly ascending');
    }
    const n = this.props.numEntries;
    if (n === this.hashes.length) {
      const grown = new Uint32Array(n * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[n] = bloomHash(key);
    this.data.add(key, seq, type, type === ValueType.Value ? value : EMPTY);
    this.lastKey = key;
    if (this.firstKey === null) this.firstKey = key;
    const p = this.props;
    p.numEntries++;
    if (type === ValueType.Deletion) p.numDeletions++;
    if (seq < p.smallestSeq) p.smallestSeq = seq;
    if (seq > p.largestSeq) p.largestSeq = seq;
    p.rawKeyBytes += key.length;
    p.rawValueBytes += value.length;
    if (this.data.estimatedBytes >= this.options.blockSizeBytes) this.flushDataBlock();
  }

  private writeBlock(contents: Buffer): BlockHandle {
    const handle = { offset: this.offset, size: contents.length };
    this.chunks.push(contents, blockTrailer(contents));
    this.offset += contents.length + 5;
    return handle;
  }

  private flushDataBlock(): void {
    if (this.data.empty) return;
    const handle = this.writeBlock(this.data.finish());
    // The index maps the last key of each block to the block.
    this.index.add(this.lastKey!, 0, ValueType.Value, encodeHandle(handle));
    this.props.numDataBlocks++;
  }

  finish(): { bytes: Buffer; props: TableProperties } {
    this.flushDataBlock();
    const filter = this.writeBlock(buildBloom(this.hashes, this.props.numEntries, this.options.bloomBitsPerKey));
    const props: TableProperties = {
      ...this.props,
      smallestSeq: this.props.numEntries === 0 ? 0 : this.props.smallestSeq,
      smallestKey: this.firstKey === null ? EMPTY : Buffer.from(this.firstKey),
      largestKey: this.lastKey === null ? EMPTY : Buffer.from(this.lastKey),
    };
    const propsHandle = this.writeBlock(encodeProps(props));
    const index = this.writeBlock(this.index.finish());
    this.chunks.push(encodeFooter({ filter, props: propsHandle, index }));
    const bytes = Buffer.concat(this.chunks);
    this.chunks = [];
    return { bytes, props };
  }
}
