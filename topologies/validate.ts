// Checks a topology as loaded from a file: every rule of the format, with an
// error that names the bad field by its path (`groups[1].nodes[0].tier`).
// A topology file is TypeScript, but `edgekv run` trusts nothing it imports.
import { TIERS } from '../actors/pilot/tier.js';
import { EdgeKVError } from '../runtime/errors.js';
import type { LinkRule, Topology, TimelineEvent, WorkloadSpec } from './schema.js';
import { parseTime } from './time.js';

export class TopologyError extends EdgeKVError {
  constructor(
    /** Where in the topology, e.g. `timeline[2].node`; empty for the whole file. */
    readonly path: string,
    readonly problem: string,
  ) {
    super('INVALID_TOPOLOGY', path === '' ? problem : `${path}: ${problem}`);
  }
}

type Obj = Record<string, unknown>;

const namePattern = /^[a-z0-9][a-z0-9-]*$/;
const hostPattern = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const roles = new Set(['*', 'client', 'edge', 'gateway']);
const ycsbNames = new Set(['A', 'B', 'C', 'D', 'E', 'F']);
const benchKinds = new Set(['fillrandom', 'readwhilewriting', 'mixgraph']);
const storageFields = [
  'writeBufferSizeBytes',
  'level0FileNumCompactionTrigger',
  'level0SlowdownWritesTrigger',
  'level0StopWritesTrigger',
  'maxBytesForLevelBaseBytes',
  'targetFileSizeBaseBytes',
  'maxBackgroundCompactions',
  'mergeMBps',
];

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}

function fail(path: string, problem: string): never {
  throw new TopologyError(path, problem);
}

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `must be an object, got ${describe(v)}`);
  return v as Obj;
}

function onlyKeys(o: Obj, path: string, allowed: string[]): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) fail(path === '' ? key : `${path}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') fail(path, `must be a non-empty string, got ${describe(v)}`);
  return v;
}

function number(v: unknown, path: string, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    fail(path, `must be a number${max === Infinity ? ` ≥ ${min}` : ` in ${min}..${max}`}, got ${describe(v)}`);
  }
  return v;
}

function integer(v: unknown, path: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(path, `must be a whole number ≥ ${min}, got ${describe(v)}`);
  return v;
}

function list(v: unknown, path: string, nonEmpty = true): unknown[] {
  if (!Array.isArray(v)) fail(path, `must be a list, got ${describe(v)}`);
  if (nonEmpty && v.length === 0) fail(path, 'must not be empty');
  return v;
}

function time(v: unknown, path: string): number {
  try {
    return parseTime(v);
  } catch (error) {
    fail(path, (error as Error).message);
  }
}

function placement(v: unknown, path: string): void {
  if (v !== undefined && v !== 'thread' && v !== 'process') fail(path, `must be "thread" or "process", got ${describe(v)}`);
}

function tier(v: unknown, path: string): void {
  if (typeof v === 'string') {
    if (!(v in TIERS)) fail(path, `unknown tier ${describe(v)} (use ${Object.keys(TIERS).join(', ')} or { cores, speedFactor })`);
    return;
  }
  const o = object(v, path);
  onlyKeys(o, path, ['cores', 'speedFactor']);
  integer(o.cores, `${path}.cores`, 1);
  const speed = number(o.speedFactor, `${path}.speedFactor`, 0);
  if (speed === 0) fail(`${path}.speedFactor`, 'must be above 0');
}

/** The hosts a topology names, by name, with their group and role. */
interface Names {
  hosts: Map<string, { group: string; role: 'edge' | 'gateway' }>;
  groups: Set<string>;
}

function selector(v: unknown, path: string, names: Names): void {
  const s = string(v, path);
  if (roles.has(s) || names.hosts.has(s)) return;
  if (s.startsWith('group:')) {
    if (!names.groups.has(s.slice('group:'.length))) fail(path, `no group ${describe(s.slice('group:'.length))}`);
    return;
  }
  fail(path, `${describe(s)} is not a host, a group:<id>, or one of ${[...roles].join(', ')}`);
}

const linkFields = ['latencyMs', 'jitterMs', 'bandwidthMbps', 'loss'];

function linkRule(v: unknown, path: string, names: Names, extra: string[] = []): void {
  const o = object(v, path);
  onlyKeys(o, path, [...extra, ...linkFields, 'between', 'from', 'to']);
  if (o.between !== undefined) {
    if (o.from !== undefined || o.to !== undefined) fail(path, 'give either between: [a, b] or from and to, not both');
    const pair = list(o.between, `${path}.between`);
    if (pair.length !== 2) fail(`${path}.between`, `must be two selectors, got ${pair.length}`);
    pair.forEach((s, i) => selector(s, `${path}.between[${i}]`, names));
  } else {
    if (o.from === undefined || o.to === undefined) fail(path, 'needs between: [a, b], or from and to');
    selector(o.from, `${path}.from`, names);
    selector(o.to, `${path}.to`, names);
  }
  if (o.latencyMs !== undefined) number(o.latencyMs, `${path}.latencyMs`, 0);
  if (o.jitterMs !== undefined) number(o.jitterMs, `${path}.jitterMs`, 0);
  if (o.bandwidthMbps !== undefined) {
    number(o.bandwidthMbps, `${path}.bandwidthMbps`, 0);
    if (o.bandwidthMbps === 0) fail(`${path}.bandwidthMbps`, 'must be above 0 (use a partition to cut a link)');
  }
  if (o.loss !== undefined) number(o.loss, `${path}.loss`, 0, 1);
}

function links(v: unknown, path: string, names: Names): void {
  list(v, path, false).forEach((rule, i) => linkRule(rule as LinkRule, `${path}[${i}]`, names));
}

function hostOfRole(v: unknown, path: string, names: Names, role: 'edge' | 'gateway'): string {
  const name = string(v, path);
  const host = names.hosts.get(name);
  if (host === undefined) fail(path, `no ${role === 'edge' ? 'edge node' : 'gateway'} named ${describe(name)}`);
  if (host.role !== role) fail(path, `${describe(name)} is ${host.role === 'edge' ? 'an edge node' : 'a gateway'}, not ${role === 'edge' ? 'an edge node' : 'a gateway'}`);
  return name;
}

function event(v: unknown, path: string, names: Names): void {
  const o = object(v, path);
  time(o.at, `${path}.at`);
  if (o.label !== undefined) string(o.label, `${path}.label`);
  const common = ['at', 'label', 'do'];
  switch (o.do as TimelineEvent['do']) {
    case 'crash':
    case 'restart':
      onlyKeys(o, path, [...common, 'node']);
      string(o.node, `${path}.node`);
      if (!names.hosts.has(o.node as string)) fail(`${path}.node`, `no host named ${describe(o.node)}`);
      return;
    case 'partition': {
      onlyKeys(o, path, [...common, 'sides']);
      const sides = list(o.sides, `${path}.sides`);
      if (sides.length < 2) fail(`${path}.sides`, 'needs at least two sides');
      sides.forEach((side, i) => list(side, `${path}.sides[${i}]`).forEach((s, j) => selector(s, `${path}.sides[${i}][${j}]`, names)));
      return;
    }
    case 'heal':
      onlyKeys(o, path, common);
      return;
    case 'link':
      linkRule(o, path, names, common);
      return;
    case 'gateway-join':
    case 'gateway-leave':
      onlyKeys(o, path, [...common, 'gateway']);
      hostOfRole(o.gateway, `${path}.gateway`, names, 'gateway');
      return;
    case 'load':
      onlyKeys(o, path, [...common, 'node', 'threads']);
      hostOfRole(o.node, `${path}.node`, names, 'edge');
      integer(o.threads, `${path}.threads`, 0);
      return;
    default:
      fail(`${path}.do`, `unknown event ${describe(o.do)} (crash, restart, partition, heal, link, gateway-join, gateway-leave, load)`);
  }
}

function workload(v: unknown, path: string): void {
  const o = object(v, path);
  const common = ['kind', 'duration', 'clients', 'globalShare', 'valueBytes'];
  if (o.kind === 'ycsb') {
    onlyKeys(o, path, [...common, 'workload', 'records']);
    const names = Array.isArray(o.workload) ? list(o.workload, `${path}.workload`) : [o.workload];
    names.forEach((w, i) => {
      if (typeof w !== 'string' || !ycsbNames.has(w)) fail(Array.isArray(o.workload) ? `${path}.workload[${i}]` : `${path}.workload`, `must be one of A..F, got ${describe(w)}`);
    });
    if (o.records !== undefined) integer(o.records, `${path}.records`, 1);
  } else if (typeof o.kind === 'string' && benchKinds.has(o.kind)) {
    onlyKeys(o, path, [...common, 'keys']);
    if (o.keys !== undefined) integer(o.keys, `${path}.keys`, 1);
  } else {
    fail(`${path}.kind`, `must be ycsb, fillrandom, readwhilewriting or mixgraph, got ${describe(o.kind)}`);
  }
  const duration = time(o.duration, `${path}.duration`);
  if (duration <= 0) fail(`${path}.duration`, 'must be above 0');
  const clients = Array.isArray(o.clients) ? list(o.clients, `${path}.clients`) : [o.clients];
  clients.forEach((c, i) => integer(c, Array.isArray(o.clients) ? `${path}.clients[${i}]` : `${path}.clients`, 1));
  if (o.globalShare !== undefined) number(o.globalShare, `${path}.globalShare`, 0, 1);
  if (o.valueBytes !== undefined) integer(o.valueBytes, `${path}.valueBytes`, 1);
}

function collectNames(groups: unknown[]): Names {
  const names: Names = { hosts: new Map(), groups: new Set() };
  const add = (name: string, path: string, group: string, role: 'edge' | 'gateway'): void => {
    if (!hostPattern.test(name)) fail(path, `host names use letters, digits, - and _ (got ${describe(name)})`);
    if (name === 'client' || roles.has(name) || name.startsWith('group:')) fail(path, `${describe(name)} is reserved for link selectors`);
    if (names.hosts.has(name)) fail(path, `${describe(name)} is named twice`);
    names.hosts.set(name, { group, role });
  };
  groups.forEach((g, gi) => {
    const path = `groups[${gi}]`;
    const o = object(g, path);
    onlyKeys(o, path, ['id', 'nodes', 'gateway']);
    const id = string(o.id, `${path}.id`);
    if (!hostPattern.test(id)) fail(`${path}.id`, `group ids use letters, digits, - and _ (got ${describe(id)})`);
    if (names.groups.has(id)) fail(`${path}.id`, `group ${describe(id)} is defined twice`);
    names.groups.add(id);
    list(o.nodes, `${path}.nodes`).forEach((n, ni) => {
      const npath = `${path}.nodes[${ni}]`;
      if (typeof n === 'string') return add(n, npath, id, 'edge');
      const node = object(n, npath);
      onlyKeys(node, npath, ['name', 'placement', 'tier']);
      add(string(node.name, `${npath}.name`), `${npath}.name`, id, 'edge');
      placement(node.placement, `${npath}.placement`);
      if (node.tier !== undefined) tier(node.tier, `${npath}.tier`);
    });
    if (o.gateway === undefined) return add(`${id}-gw`, `${path}.gateway`, id, 'gateway');
    if (typeof o.gateway === 'string') return add(o.gateway, `${path}.gateway`, id, 'gateway');
    const gw = object(o.gateway, `${path}.gateway`);
    onlyKeys(gw, `${path}.gateway`, ['name', 'placement']);
    add(string(gw.name, `${path}.gateway.name`), `${path}.gateway.name`, id, 'gateway');
    placement(gw.placement, `${path}.gateway.placement`);
  });
  return names;
}

/** Returns the topology unchanged when it is valid; throws a TopologyError naming the first bad field otherwise. */
export function validateTopology(input: unknown): Topology {
  const o = object(input, '');
  onlyKeys(o, '', ['name', 'description', 'placement', 'groups', 'links', 'pilot', 'timeline', 'workload', 'variants', 'storage', 'seed', 'ports']);
  const name = string(o.name, 'name');
  if (!namePattern.test(name)) fail('name', `use lower-case letters, digits and dashes (it names the results directory), got ${describe(name)}`);
  if (o.description !== undefined && typeof o.description !== 'string') fail('description', `must be a string, got ${describe(o.description)}`);
  placement(o.placement, 'placement');
  const names = collectNames(list(o.groups, 'groups'));
  if (o.links !== undefined) links(o.links, 'links', names);
  if (o.pilot !== undefined && typeof o.pilot !== 'boolean') fail('pilot', `must be true or false, got ${describe(o.pilot)}`);
  if (o.timeline !== undefined) list(o.timeline, 'timeline', false).forEach((e, i) => event(e, `timeline[${i}]`, names));
  if (o.workload !== undefined) workload(o.workload as WorkloadSpec, 'workload');
  if (o.variants !== undefined) {
    const variants = object(o.variants, 'variants');
    if (Object.keys(variants).length === 0) fail('variants', 'must name at least one variant (or leave variants out)');
    for (const [vname, v] of Object.entries(variants)) {
      const path = `variants.${vname}`;
      if (!namePattern.test(vname)) fail(path, 'variant names use lower-case letters, digits and dashes');
      const variant = object(v, path);
      onlyKeys(variant, path, ['links', 'pilot', 'tiers']);
      if (variant.links !== undefined) links(variant.links, `${path}.links`, names);
      if (variant.pilot !== undefined && typeof variant.pilot !== 'boolean') fail(`${path}.pilot`, `must be true or false, got ${describe(variant.pilot)}`);
      if (variant.tiers !== undefined) {
        for (const [node, t] of Object.entries(object(variant.tiers, `${path}.tiers`))) {
          hostOfRole(node, `${path}.tiers.${node}`, names, 'edge');
          tier(t, `${path}.tiers.${node}`);
        }
      }
    }
  }
  if (o.storage !== undefined) {
    const st = object(o.storage, 'storage');
    onlyKeys(st, 'storage', storageFields);
    for (const key of storageFields) {
      if (st[key] === undefined) continue;
      if (key === 'mergeMBps') {
        if (number(st[key], `storage.${key}`, 0) === 0) fail(`storage.${key}`, 'must be above 0');
      } else integer(st[key], `storage.${key}`, 1);
    }
  }
  if (o.seed !== undefined) integer(o.seed, 'seed', 0);
  if (o.ports !== undefined) {
    const ports = object(o.ports, 'ports');
    onlyKeys(ports, 'ports', ['base', 'internal']);
    if (ports.base !== undefined) integer(ports.base, 'ports.base', 1);
    if (ports.internal !== undefined) integer(ports.internal, 'ports.internal', 1);
  }
  return input as Topology;
}
