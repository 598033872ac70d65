// The files `up` keeps in the data directory: the cluster file (layout and
// ports, so a restart brings the same cluster back and clients find it), the
// cluster secret, and the run file (who is running right now).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliDefaults, dataFiles } from '../defaults.js';
import { ClusterRunningError, DataDirError, LayoutMismatchError } from '../errors.js';
import { describeClusterLayout, describeLayout, endpointsOf, layoutOf, planCluster, type ClusterPlan, type PlanOptions } from './layout.js';

export interface ClusterFile {
  version: 1;
  groups: number;
  nodesPerGroup: number;
  host: string;
  basePort: number;
  internalBasePort: number;
  /** Where clients connect: one gRPC endpoint per edge node. */
  endpoints: string[];
  layout: ClusterPlan['layout'];
}

export interface RunFile {
  /** The `edgekv up` process. */
  pid: number;
  mode: 'threads' | 'processes';
  startedAt: string;
  /** Host name → OS pid (processes mode: each its own; threads mode: all `pid`). */
  hosts: Record<string, number>;
}

/** Atomic replace: a crash mid-write leaves the old file, never half a file. */
function writeJson(path: string, value: unknown, mode?: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  renameSync(tmp, path);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new DataDirError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

export function readClusterFile(dataDir: string): ClusterFile | undefined {
  const path = join(dataDir, dataFiles.cluster);
  if (!existsSync(path)) return undefined;
  const raw = readJson(path) as Partial<ClusterFile>;
  if (raw.version !== 1 || !Number.isInteger(raw.groups) || !Number.isInteger(raw.nodesPerGroup) || !Array.isArray(raw.endpoints)) {
    throw new DataDirError(`${path} is not an edgekv cluster file (version 1)`);
  }
  return raw as ClusterFile;
}

/**
 * The plan for `up`: what the data directory was created with, overridden by
 * what was asked for. Ports and host may change between runs; the layout may
 * not (the nodes' Raft logs and stores belong to it).
 */
export function resolvePlan(dataDir: string, requested: Partial<PlanOptions>): { plan: ClusterPlan; existing: boolean } {
  const saved = readClusterFile(dataDir);
  let layout = requested.layout;
  if (layout === undefined) {
    const groups = requested.groups ?? saved?.groups ?? cliDefaults.groups;
    const nodesPerGroup = requested.nodesPerGroup ?? saved?.nodesPerGroup ?? cliDefaults.nodesPerGroup;
    if (saved !== undefined && (groups !== saved.groups || nodesPerGroup !== saved.nodesPerGroup)) {
      throw new LayoutMismatchError(dataDir, describeClusterLayout(saved.layout), describeLayout(groups, nodesPerGroup));
    }
    // A data directory made from a topology keeps its own layout.
    layout = saved?.layout ?? layoutOf(groups, nodesPerGroup);
  }
  if (saved !== undefined && JSON.stringify(saved.layout) !== JSON.stringify(layout)) {
    throw new LayoutMismatchError(dataDir, describeClusterLayout(saved.layout), describeClusterLayout(layout));
  }
  const basePort = requested.basePort ?? saved?.basePort ?? cliDefaults.basePort;
  const plan = planCluster({
    groups: layout.groups.length,
    nodesPerGroup: Math.max(...layout.groups.map((g) => g.members.length)),
    layout,
    ...(requested.placements !== undefined ? { placements: requested.placements } : {}),
    host: requested.host ?? saved?.host ?? cliDefaults.host,
    basePort,
    internalBasePort:
      requested.internalBasePort ??
      (requested.basePort !== undefined ? undefined : saved?.internalBasePort) ??
      basePort + cliDefaults.internalPortOffset,
  });
  return { plan, existing: saved !== undefined };
}

export function writeClusterFile(dataDir: string, plan: ClusterPlan): ClusterFile {
  mkdirSync(dataDir, { recursive: true });
  const file: ClusterFile = {
    version: 1,
    groups: plan.groups,
    nodesPerGroup: plan.nodesPerGroup,
    host: plan.host,
    basePort: plan.basePort,
    internalBasePort: plan.internalBasePort,
    endpoints: endpointsOf(plan),
    layout: plan.layout,
  };
  writeJson(join(dataDir, dataFiles.cluster), file);
  return file;
}

/** The cluster secret: generated on first use, then reused so restarted nodes still recognise each other. */
export function loadOrCreateSecret(dataDir: string): string {
  const path = join(dataDir, dataFiles.secret);
  if (existsSync(path)) {
    const secret = readFileSync(path, 'utf8').trim();
    if (secret.length === 0) throw new DataDirError(`${path} is empty; delete it to have a new secret generated`);
    return secret;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(cliDefaults.secretBytes).toString('hex');
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return secret;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readRunFile(dataDir: string): RunFile | undefined {
  const path = join(dataDir, dataFiles.run);
  if (!existsSync(path)) return undefined;
  return readJson(path) as RunFile;
}

/** Refuses a second `up` on a data directory whose `up` is still alive; a stale run file (crashed `up`) is taken over. */
export function claimRunFile(dataDir: string, run: RunFile): void {
  const previous = readRunFile(dataDir);
  if (previous !== undefined && alive(previous.pid)) throw new ClusterRunningError(dataDir, previous.pid);
  mkdirSync(dataDir, { recursive: true });
  writeJson(join(dataDir, dataFiles.run), run);
}

export function updateRunFile(dataDir: string, run: RunFile): void {
  writeJson(join(dataDir, dataFiles.run), run);
}

export function removeRunFile(dataDir: string, pid: number): void {
  const previous = readRunFile(dataDir);
  if (previous?.pid === pid) rmSync(join(dataDir, dataFiles.run), { force: true });
}

/** Where a client connects: the cluster file's endpoints, else the default layout's. */
export function defaultEndpoints(dataDir: string): string[] {
  const saved = readClusterFile(dataDir);
  if (saved !== undefined) return saved.endpoints;
  return endpointsOf(
    planCluster({
      groups: cliDefaults.groups,
      nodesPerGroup: cliDefaults.nodesPerGroup,
      host: cliDefaults.host,
      basePort: cliDefaults.basePort,
      internalBasePort: cliDefaults.basePort + cliDefaults.internalPortOffset,
    }),
  );
}
