// The emulated links of a real run: from the variant's rules, the timeline's
// link changes and the partitions in force, each host's table of outgoing
// links (what its router shapes) and the clients' links to each node.
import type { LinkShape, LinkTable } from '../../cli/cluster/host-protocol.js';
import { cutBetween, linkBetween, partitionSides, type ResolvedHost } from '../resolve.js';
import type { LinkRule, Selector } from '../schema.js';

export class LinkState {
  private readonly byName: Map<string, ResolvedHost>;
  private rules: LinkRule[];
  private partitions: Array<Array<Set<string>>> = [];

  constructor(
    private readonly hosts: ResolvedHost[],
    rules: LinkRule[],
  ) {
    this.byName = new Map(hosts.map((h) => [h.name, h]));
    this.rules = [...rules];
  }

  /** A timeline `link` event: a rule added after the others (it overrides them where it matches). */
  addRule(rule: LinkRule): void {
    this.rules = [...this.rules, rule];
  }

  partition(sides: Selector[][]): void {
    this.partitions = [...this.partitions, partitionSides(sides, this.hosts)];
  }

  heal(): void {
    this.partitions = [];
  }

  /** The directed link from → to (`client` for the workload's clients); undefined: unshaped. */
  shape(from: string, to: string): LinkShape | undefined {
    const props = linkBetween(this.rules, from, to, this.byName);
    if (cutBetween(this.partitions, from, to)) return { ...props, blocked: true };
    return props;
  }

  /** Every host's outgoing links to the other hosts. */
  tables(): Record<string, LinkTable> {
    const out: Record<string, LinkTable> = {};
    for (const from of this.hosts) {
      const table: LinkTable = {};
      for (const to of this.hosts) {
        if (to.name === from.name) continue;
        const shape = this.shape(from.name, to.name);
        if (shape !== undefined) table[to.name] = shape;
      }
      out[from.name] = table;
    }
    return out;
  }
}
