// What `up` (the parent) and a host (a worker thread or a child process that
// runs one edge node or one gateway) say to each other. Control plane only:
// start, stop, ready; the nodes' own traffic goes over the data plane
// (MessagePorts between threads, TcpTransport between processes).
import type { MessagePort } from 'node:worker_threads';
import type { ClusterLayout, EdgeNodeMetrics, EdgePilotConfig } from '../../actors/edge/contract.js';
import type { LinkShape } from '../../runtime/link-emulation.js';
import type { LogLevel } from '../../runtime/logger.js';
import type { LsmTuning } from '../../storage/defaults.js';
import type { HostPlan } from './layout.js';

export interface HostSpec {
  plan: HostPlan;
  layout: ClusterLayout;
  /** The cluster's data directory; an edge node keeps its own under `<dataDir>/<name>`. */
  dataDir: string;
  /** Interface the gRPC endpoint and the internal port bind to. */
  bindHost: string;
  /** Gateways only: the gateway to join the ring through (none: start the ring). */
  joinVia?: string;
  /** URL of the module exporting `bootEdgeNode` and `bootGateway` (actors/edge/index.ts unless a test says otherwise). */
  bootModule: string;
  logLevel: LogLevel;
  /** Edge nodes: EdgePilot (compaction offloading); absent: on, every node at real speed. */
  pilot?: EdgePilotConfig;
  /** Edge nodes: LSM engine tuning (topologies); absent: the defaults. */
  lsm?: Partial<LsmTuning>;
  /** Emulated links from this host, by peer host name (topologies); absent: every link as the transport is. */
  links?: LinkTable;
}

export type { LinkShape };

/** Peer host name → the shape of the link to it; a peer not listed is unshaped. */
export type LinkTable = Record<string, LinkShape>;

/** Processes: every host listens on its internal port and dials every peer, authenticated by the cluster secret. */
export interface TcpWiring {
  secret: string;
  peers: Array<{ name: string; address: string }>;
}

/** workerData of a host thread: one MessagePort per peer thread (a full mesh of direct channels). */
export interface ThreadBootData {
  spec: HostSpec;
  ports: Record<string, MessagePort>;
  /** Peers that run as processes (a topology mixing placements): the thread listens and dials them over TCP. */
  tcp?: TcpWiring;
}

export type ToHost =
  | { type: 'start'; spec: HostSpec; wiring: TcpWiring }
  | { type: 'stop' }
  /** Threads: a peer thread was restarted; here is a fresh channel to it. */
  | { type: 'link'; peer: string; port: MessagePort }
  /** Replaces the emulated links (the whole table). */
  | { type: 'links'; links: LinkTable }
  /** Edge nodes: co-located load in busy cores. */
  | { type: 'load'; threads: number }
  | { type: 'metrics'; id: number }
  /** Gateways: leave the ring gracefully (hand the range over), then stop. */
  | { type: 'leave' };

export type FromHost =
  | { type: 'ready'; name: string; pid: number; apiPort?: number }
  | { type: 'failed'; name: string; error: string }
  | { type: 'stopped'; name: string }
  | { type: 'metrics'; name: string; id: number; metrics?: EdgeNodeMetrics; error?: string };

const fromHostTypes = new Set(['ready', 'failed', 'stopped', 'metrics']);

export function isFromHost(message: unknown): message is FromHost {
  const m = message as { type?: unknown; name?: unknown } | null;
  return typeof m === 'object' && m !== null && typeof m.name === 'string' && fromHostTypes.has(m.type as string);
}
