/** The API's view of requests, shared by the gRPC server, the client and the edge node's front door. */
export type Scope = 'local' | 'global';
export type Consistency = 'linearizable' | 'serializable';

export interface WriteId {
  clientId: string;
  requestId: number;
}

export interface GetCall {
  key: Buffer;
  scope: Scope;
  consistency: Consistency;
}
export interface PutCall {
  key: Buffer;
  value: Buffer;
  scope: Scope;
  id: WriteId | undefined;
}
export interface DeleteCall {
  key: Buffer;
  scope: Scope;
  id: WriteId | undefined;
}
export interface RangeGetCall {
  start: Buffer;
  /** Empty: no upper bound. */
  end: Buffer;
  scope: Scope;
  consistency: Consistency;
  /** 0: no limit. */
  limit: number;
}
export interface RangeDeleteCall {
  start: Buffer;
  end: Buffer;
  scope: Scope;
  id: WriteId | undefined;
}

export interface KeyValue {
  key: Buffer;
  value: Buffer;
}

export interface GroupStatus {
  group: string;
  members: string[];
  leader: string | undefined;
  term: number;
  commitIndex: number;
  localKeys: number;
  globalKeys: number;
}

/** One edge node's merges since it started (EdgePilot). */
export interface NodeCompactionStatus {
  node: string;
  /** Merges of this node's data run here (fallbacks included). */
  local: number;
  /** Merges of this node's data run on another node. */
  offloaded: number;
  /** Merges run here for other nodes. */
  received: number;
  /** Offloads that failed (timeout, refusal, error, bad output) and were redone here. */
  fallbacks: number;
}

export interface ClusterStatus {
  node: string;
  ring: Array<{ gateway: string; group: string; id: string; predecessor: string | undefined; successor: string | undefined }>;
  groups: GroupStatus[];
  /** Per edge node compaction counters, from the nodes that answered; absent when EdgePilot is off (or an older node). */
  compaction?: NodeCompactionStatus[];
}

/**
 * What an edge node offers the API server: the Placement Protocol's entry
 * points. `timeoutMs` is what is left of the client's deadline; a call that
 * cannot finish in time fails with UnavailableError or DeadlineExceededError.
 */
export interface FrontDoor {
  get(call: GetCall, timeoutMs: number): Promise<Buffer | undefined>;
  put(call: PutCall, timeoutMs: number): Promise<void>;
  delete(call: DeleteCall, timeoutMs: number): Promise<void>;
  rangeGet(call: RangeGetCall, timeoutMs: number): AsyncIterable<KeyValue>;
  rangeDelete(call: RangeDeleteCall, timeoutMs: number): Promise<number>;
  status(): Promise<ClusterStatus>;
}
