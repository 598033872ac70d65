import { LSM_DEFAULTS } from './defaults.js';
import type { WritableFile } from './fs.js';
import { RECORD_HEADER_BYTES, RecordType, sealRecord } from './log-format.js';
import { putVarint, varintLength } from './coding.js';
import { ValueType } from './internal-key.js';
import { encodeBatchInto, encodedBatchBytes, type BatchOp } from './write-batch.js';

/**
 * Appends write batches to a WAL file through a user-space buffer. The engine
 * calls `flush` once per group of writes (group commit) and `sync` when a
 * writer asked for durability, so N small writes cost one write(2).
 */
export class WalWriter {
  private buf: Buffer;
  private used = 0;
  private written = 0;

  constructor(private readonly file: WritableFile, readonly number: number, bufferBytes: number = LSM_DEFAULTS.walBufferBytes) {
    this.buf = Buffer.allocUnsafe(bufferBytes);
  }

  /** Bytes handed to the OS plus bytes still buffered. */
  get sizeBytes(): number {
    return this.written + this.used;
  }

  get hasBuffered(): boolean {
    return this.used > 0;
  }

  addBatch(firstSeq: number, appliedIndex: number, ops: readonly BatchOp[]): void {
    const payload = encodedBatchBytes(ops);
    const total = RECORD_HEADER_BYTES + payload;
    if (this.used + total > this.buf.length) {
      this.flush();
      if (total > this.buf.length) {
        const big = Buffer.allocUnsafe(total);
        encodeBatchInto(big, RECORD_HEADER_BYTES, firstSeq, appliedIndex, ops);
        sealRecord(big, 0, RecordType.WriteBatch, payload);
        this.file.append(big);
        this.written += total;
        return;
      }
    }
    const start = this.used;
    encodeBatchInto(this.buf, start + RECORD_HEADER_BYTES, firstSeq, appliedIndex, ops);
    sealRecord(this.buf, start, RecordType.WriteBatch, payload);
    this.used += total;
  }

  /**
   * One put or delete as a batch of one, encoded straight from its parts
   * (keyspace tag, key, value): the hot path of single writes allocates nothing.
   */
  addSingle(seq: number, appliedIndex: number, type: ValueType, tag: number, key: Uint8Array, value: Uint8Array): void {
    const klen = key.length + 1;
    const isValue = type === ValueType.Value;
    const payload = 12 + 1 + 1 + varintLength(klen) + klen + (isValue ? varintLength(value.length) + value.length : 0);
    const total = RECORD_HEADER_BYTES + payload;
    if (this.used + total > this.buf.length) {
      this.flush();
      if (total > this.buf.length) {
        this.addBatch(seq, appliedIndex, [{ type, key: Buffer.concat([Buffer.from([tag]), key]), value: Buffer.from(value) }]);
        return;
      }
    }
    const buf = this.buf;
    const start = this.used;
    let p = start + RECORD_HEADER_BYTES;
    buf.writeUIntLE(seq, p, 6);
    buf.writeUIntLE(appliedIndex, p + 6, 6);
    buf[p + 12] = 1;
    buf[p + 13] = type;
    p = putVarint(buf, p + 14, klen);
    buf[p++] = tag;
    buf.set(key, p);
    p += key.length;
    if (isValue) {
      p = putVarint(buf, p, value.length);
      buf.set(value, p);
      p += value.length;
    }
    sealRecord(buf, start, RecordType.WriteBatch, payload);
    this.used += total;
  }

  /** Hands buffered records to the OS (survives a process crash, not a power loss). */
  flush(): void {
    if (this.used === 0) return;
    // The file may keep a reference (in-memory FS), so hand over a copy and reuse our buffer.
    this.file.append(Buffer.from(this.buf.subarray(0, this.used)));
    this.written += this.used;
    this.used = 0;
  }

  sync(): void {
    this.flush();
    this.file.sync();
  }

  close(): void {
    this.flush();
    this.file.close();
  }
}
