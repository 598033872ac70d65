import type { MessagePort } from 'node:worker_threads';
import type { RemoteEnvelope } from './actor-system.js';
import { runtimeDefaults } from './defaults.js';
import { decodeBatch, EnvelopeBatch, type Link, type Router } from './router.js';

/**
 * A link over a MessagePort (to the parent thread or, directly, to a sibling
 * worker). Envelopes sent in the same microtask go out as one msgpackr buffer in
 * one postMessage, its ArrayBuffer transferred rather than cloned. Order is the
 * port's order: FIFO per sender.
 */
export class WorkerLink implements Link {
  private batch = new EnvelopeBatch();
  private flushQueued = false;
  private closed = false;
  framesSent = 0;
  framesReceived = 0;

  constructor(
    private readonly router: Router,
    private readonly port: MessagePort,
    readonly description: string,
  ) {
    port.on('message', this.onMessage);
    port.on('close', () => {
      this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(envelope: RemoteEnvelope): boolean {
    if (this.closed) return false;
    this.batch.push(envelope);
    if (this.batch.size >= runtimeDefaults.maxEnvelopesPerBatch) {
      this.flush();
    } else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
    return true;
  }

  /** Sends what is queued, then closes the port (the other side sees 'close'). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.port.off('message', this.onMessage);
    this.port.close();
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.batch.size === 0 || this.closed) return;
    const encoded = this.batch.take();
    // msgpackr hands out a view of its own reusable buffer: copy once into a
    // buffer of our own so it can be transferred instead of cloned.
    const owned = new Uint8Array(encoded.length);
    owned.set(encoded);
    this.port.postMessage(owned, [owned.buffer]);
    this.framesSent++;
  };

  private readonly onMessage = (data: unknown): void => {
    if (!(data instanceof Uint8Array)) {
      this.router.system.log.log('warn', 'worker link dropped a message that is not a batch', { link: this.description });
      return;
    }
    this.framesReceived++;
    let envelopes: RemoteEnvelope[];
    try {
      envelopes = decodeBatch(data, this.router.system);
    } catch (error) {
      this.router.system.log.log('error', 'worker link dropped a malformed batch', { link: this.description, error: String(error) });
      return;
    }
    for (const envelope of envelopes) this.router.receive(envelope);
  };
}
