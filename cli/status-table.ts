import type { ClusterStatus } from '../api/types.js';

/** A plain text table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const count = (n: number) => (n < 0 ? '?' : n.toLocaleString('en-US'));

/** `edgekv status`: the ring (gateway order), then each group with its leader and key counts. */
export function renderStatus(status: ClusterStatus): string {
  const ring = [...status.ring].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ringTable = table(
    ['gateway', 'group', 'ring id', 'predecessor', 'successor'],
    ring.map((r) => [r.gateway, r.group, r.id.length > 16 ? `${r.id.slice(0, 16)}…` : r.id, r.predecessor ?? '-', r.successor ?? '-']),
  );
  const groupTable = table(
    ['group', 'members', 'leader', 'term', 'commit', 'local keys', 'global keys'],
    status.groups.map((g) => [
      g.group,
      g.members.join(','),
      g.leader ?? '(none)',
      String(g.term),
      String(g.commitIndex),
      count(g.localKeys),
      count(g.globalKeys),
    ]),
  );
  const compaction =
    status.compaction === undefined
      ? []
      : [
          '',
          `compactions (EdgePilot, ${status.compaction.length} node${status.compaction.length === 1 ? '' : 's'} answered):`,
          table(
            ['node', 'local', 'offloaded', 'received', 'fallbacks'],
            status.compaction.map((c) => [c.node, count(c.local), count(c.offloaded), count(c.received), count(c.fallbacks)]),
          ),
        ];
  const totalLocal = status.groups.reduce((s, g) => s + Math.max(0, g.localKeys), 0);
  const totalGlobal = status.groups.reduce((s, g) => s + Math.max(0, g.globalKeys), 0);
  return [
    `as seen by ${status.node}`,
    '',
    `ring (${ring.length} gateway${ring.length === 1 ? '' : 's'}):`,
    ringTable,
    '',
    `groups (${status.groups.length}):`,
    groupTable,
    ...compaction,
    '',
    `keys: ${count(totalLocal)} local, ${count(totalGlobal)} global`,
  ].join('\n');
}
