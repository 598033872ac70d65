import type { EngineStats, Entry } from '../../storage/engine.js';
import type { Keyspace } from '../../storage/keyspace.js';

/** What the memtable actor accepts; every request is answered with a MemtableReply. */
export type MemtableRequest =
  | { type: 'put'; keyspace: Keyspace; key: Uint8Array; value: Uint8Array; appliedIndex?: number; sync?: boolean }
  | { type: 'delete'; keyspace: Keyspace; key: Uint8Array; appliedIndex?: number; sync?: boolean }
  | { type: 'write'; ops: { keyspace: Keyspace; key: Uint8Array; value?: Uint8Array }[]; appliedIndex?: number; sync?: boolean }
  | { type: 'get'; keyspace: Keyspace; key: Uint8Array }
  | { type: 'scan'; keyspace: Keyspace; start?: Uint8Array; end?: Uint8Array; limit?: number }
  | { type: 'flush' }
  | { type: 'stats' }
  | { type: 'snapshot' }
  | { type: 'export-range'; start?: Uint8Array; end?: Uint8Array }
  | { type: 'import-range'; chunk: Uint8Array; appliedIndex?: number }
  | { type: 'delete-range'; keyspace: Keyspace; start?: Uint8Array; end?: Uint8Array; appliedIndex?: number };

/** Errors travel as values (code + message), as they would across a thread or host. */
export type MemtableReply =
  | { ok: true; type: 'done' }
  | { ok: true; type: 'value'; value: Buffer | null }
  | { ok: true; type: 'entries'; entries: Entry[] }
  | { ok: true; type: 'stats'; stats: EngineStats }
  | { ok: true; type: 'snapshot'; snapshot: Buffer; appliedIndex: number }
  | { ok: true; type: 'chunks'; chunks: Buffer[] }
  | { ok: true; type: 'count'; count: number }
  | { ok: false; code: string; message: string };
