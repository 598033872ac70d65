import type { StateMachine } from '../state-machine.js';
import type { Entry } from '../types.js';

/** A state machine that just remembers the payloads it applied, in order; enough for scenario tests. */
export class RecorderStateMachine implements StateMachine<number> {
  values: string[] = [];

  apply(entry: Entry): number {
    if (entry.type === 'normal' && entry.data.byteLength > 0) this.values.push(Buffer.from(entry.data).toString('utf8'));
    return this.values.length;
  }

  snapshot(): Uint8Array {
    return new Uint8Array(Buffer.from(JSON.stringify(this.values), 'utf8'));
  }

  restore(data: Uint8Array): void {
    this.values = data.byteLength === 0 ? [] : (JSON.parse(Buffer.from(data).toString('utf8')) as string[]);
  }
}
