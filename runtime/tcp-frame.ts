import { EdgeKVError } from './errors.js';

/** Bytes of the length prefix in front of every TCP frame (unsigned 32-bit, big-endian). */
export const frameHeaderBytes = 4;

/** A peer announced a frame longer than the limit; the connection is dropped before buffering it. */
export class FrameTooLargeError extends EdgeKVError {
  constructor(readonly frameBytes: number, readonly maxFrameBytes: number) {
    super('FRAME_TOO_LARGE', `frame of ${frameBytes} bytes exceeds the limit of ${maxFrameBytes} bytes`);
  }
}

/** `body` with its length prefix, in one buffer (one write, one syscall). */
export function encodeFrame(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, frameHeaderBytes);
  return frame;
}

/**
 * Cuts a byte stream into length-prefixed frames. Chunks are kept as a list and
 * joined once per frame, so a large frame arriving in many small chunks costs
 * one copy, not one per chunk. A frame that fits in one chunk is not copied.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the frame being read, or -1 while its header is incomplete. */
  private bodyBytes = -1;
  private stopped = false;

  /** May be changed between frames (e.g. raised once a peer is authenticated). */
  constructor(public maxFrameBytes: number) {}

  /**
   * Adds a chunk and calls `onFrame` for each complete frame, in order. Throws
   * FrameTooLargeError as soon as a header announces an oversized frame.
   * After `stop()` (e.g. from inside `onFrame`) nothing more is delivered.
   */
  push(chunk: Buffer, onFrame: (body: Buffer) => void): void {
    if (this.stopped) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.stopped) {
      if (this.bodyBytes < 0) {
        if (this.buffered < frameHeaderBytes) return;
        const length = this.take(frameHeaderBytes).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          this.stop();
          throw new FrameTooLargeError(length, this.maxFrameBytes);
        }
        this.bodyBytes = length;
      }
      if (this.buffered < this.bodyBytes) return;
      const body = this.take(this.bodyBytes);
      this.bodyBytes = -1;
      onFrame(body);
    }
  }

  stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
  }

  /** Bytes received but not yet delivered as a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}
