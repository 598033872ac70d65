import { LSM_DEFAULTS } from './defaults.js';
import type { WritableFile } from './fs.js';
import { RECORD_HEADER_BYTES, RecordType, sealRecord } from './log-format.js';
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
