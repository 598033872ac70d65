import { pilotDefaults } from './defaults.js';
import { OnlineRegression, type Line } from './linear-regression.js';
import type { ServerStatus } from './server-status.js';

/** One finished compaction, as the monitor collects them. */
export interface CompactionRecord {
  /** The node whose data was compacted. */
  owner: string;
  /** The node that ran the merge. */
  ranOn: string;
  inputBytes: number;
  /** Merge time on `ranOn`. */
  computeMs: number;
  /** Time to move inputs and outputs: local storage when ranOn == owner, the network otherwise. */
  transferMs: number;
}

export interface OffloadDecision {
  offload: boolean;
  /** Diff(size) = Diff_comp(size) − Diff_trans(size); offload iff > 0. */
  diffMs: number;
  /** Predicted local compaction time (CTL). */
  localMs: number;
  /** Predicted offloaded compaction time (CTO). */
  offloadMs: number;
}

/**
 * EDGECODE: per node, online linear models of merge compute time against
 * input size, and of transfer time for local storage versus the network.
 *   Diff_comp(size)  = CTL_comp(size) − CTO_comp(size)   (paper eq. 2, 4)
 *   Diff_trans(size) = CTO_trans(size) − CTL_trans(size) (eq. 1, 5)
 *   Diff(size)       = Diff_comp − Diff_trans            (eq. 6); offload iff > 0.
 * One extension: a target with less than one free core runs the merge
 * time-shared, so its predicted compute time is stretched by 1/free cores.
 */
export class EdgeCode {
  private readonly compute = new Map<string, OnlineRegression>();
  private readonly localTransfer = new Map<string, OnlineRegression>();
  private readonly networkTransfer = new Map<string, OnlineRegression>();
  private readonly speedFactor = new Map<string, number>();
  /** Nodes whose merge speed is emulated at an absolute rate (bytes per ms of one core). */
  private readonly mergeBytesPerMs = new Map<string, number>();
  /** Decayed sums of merged bytes and compute ms per node: its recent merge throughput. */
  private readonly throughput = new Map<string, { bytes: number; ms: number }>();

  /**
   * A node's configured speed relative to the reference (tier): sets its
   * compute prior. With an emulated absolute merge speed (bytes per ms), the
   * prior's slope is that speed's, so the first offload deadlines are not
   * derived from the host's real speed.
   */
  setSpeedFactor(node: string, factor: number, mergeBytesPerMs?: number): void {
    this.speedFactor.set(node, factor);
    if (mergeBytesPerMs !== undefined && mergeBytesPerMs > 0) this.mergeBytesPerMs.set(node, mergeBytesPerMs);
    else this.mergeBytesPerMs.delete(node);
  }

  observe(record: CompactionRecord): void {
    if (record.computeMs > 0 && record.inputBytes > 0) {
      const t = this.throughput.get(record.ranOn) ?? { bytes: 0, ms: 0 };
      t.bytes = t.bytes * pilotDefaults.regressionDecay + record.inputBytes;
      t.ms = t.ms * pilotDefaults.regressionDecay + record.computeMs;
      this.throughput.set(record.ranOn, t);
    }
    this.model(this.compute, record.ranOn, this.computePrior(record.ranOn)).add(record.inputBytes, record.computeMs);
    if (record.ranOn === record.owner) {
      this.model(this.localTransfer, record.owner, pilotDefaults.localTransferPrior).add(record.inputBytes, record.transferMs);
    } else {
      this.model(this.networkTransfer, record.ranOn, pilotDefaults.networkTransferPrior).add(record.inputBytes, record.transferMs);
    }
  }

  computeModel(node: string): Line {
    return this.model(this.compute, node, this.computePrior(node)).line();
  }

  /** Predicted merge time on `node` for `sizeBytes` of input (no contention stretch). */
  predictComputeMs(node: string, sizeBytes: number): number {
    return this.model(this.compute, node, this.computePrior(node)).predict(sizeBytes);
  }

  /**
   * Algorithm 1's compaction performance: recent merge throughput on `node` in
   * bytes per ms (what its merges achieved, not an extrapolation of the fit);
   * the tier prior's speed until it has merged anything.
   */
  compactionPerf(node: string): number {
    const t = this.throughput.get(node);
    if (t !== undefined && t.ms > 0) return t.bytes / t.ms;
    return 1 / this.computePrior(node).slope;
  }

  samples(node: string): number {
    return this.compute.get(node)?.samples ?? 0;
  }

  decide(owner: string, target: ServerStatus, sizeBytes: number): OffloadDecision {
    const ctlComp = this.model(this.compute, owner, this.computePrior(owner)).predict(sizeBytes);
    const ctlTrans = this.model(this.localTransfer, owner, pilotDefaults.localTransferPrior).predict(sizeBytes);
    const stretch = target.availableCores >= 1 ? 1 : 1 / Math.max(0.05, target.availableCores);
    const ctoComp = this.model(this.compute, target.node, this.computePrior(target.node)).predict(sizeBytes) * stretch;
    const ctoTrans = this.model(this.networkTransfer, target.node, pilotDefaults.networkTransferPrior).predict(sizeBytes);
    const diffMs = ctlComp - ctoComp - (ctoTrans - ctlTrans);
    return { offload: diffMs > 0, diffMs, localMs: ctlComp + ctlTrans, offloadMs: ctoComp + ctoTrans };
  }

  private computePrior(node: string): Line {
    const factor = this.speedFactor.get(node) ?? 1;
    const emulated = this.mergeBytesPerMs.get(node);
    return { intercept: pilotDefaults.computePrior.intercept / factor, slope: emulated !== undefined ? 1 / emulated : pilotDefaults.computePrior.slope / factor };
  }

  private model(map: Map<string, OnlineRegression>, node: string, prior: Line): OnlineRegression {
    let m = map.get(node);
    if (m === undefined) {
      m = new OnlineRegression(prior, pilotDefaults.regressionDecay, pilotDefaults.minSamples);
      map.set(node, m);
    }
    return m;
  }
}
