import { canTakeOffload, compareServerStatus, type ServerStatus } from './server-status.js';

/**
 * The resource-aware priority queue of the EdgePilot master: every node's
 * latest status, ordered by Algorithm 2. Small federations (tens of nodes) make
 * a sort on update cheaper and simpler than a heap with decrease-key.
 */
export class ResourceQueue {
  private readonly statuses = new Map<string, ServerStatus>();
  private order: ServerStatus[] = [];

  update(status: ServerStatus): void {
    this.statuses.set(status.node, status);
    this.order = [...this.statuses.values()].sort((a, b) => compareServerStatus(a, b) || a.node.localeCompare(b.node));
  }

  remove(node: string): void {
    if (this.statuses.delete(node)) this.order = this.order.filter((s) => s.node !== node);
  }

  get(node: string): ServerStatus | undefined {
    return this.statuses.get(node);
  }

  /** Nodes best first. */
  ordered(): readonly ServerStatus[] {
    return this.order;
  }

  /** The best node other than `requester` that can take an offload now, if any. */
  best(requester: string): ServerStatus | undefined {
    return this.order.find((s) => s.node !== requester && canTakeOffload(s));
  }

  /** Every node other than `requester` that can take an offload now, best first. */
  candidates(requester: string): ServerStatus[] {
    return this.order.filter((s) => s.node !== requester && canTakeOffload(s));
  }
}
