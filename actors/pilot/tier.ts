import { InvalidArgumentError } from '../../runtime/errors.js';

/**
 * A node's emulated hardware tier. On one host every node shares the same
 * cores, so a tier is emulated: `cores` bounds how many merges the node runs
 * at once (and is what the monitor reports), `speedFactor` stretches each
 * merge's wall time (0.5: twice as long) without burning the shared cores.
 */
export interface TierSpec {
  name: string;
  cores: number;
  /** Merge speed relative to the host (1 = as fast as the real merge here). */
  speedFactor: number;
}

export type TierName = 'high' | 'medium' | 'low';

/**
 * The paper's Table I, as ratios: high 8 cores @4.5 GHz (Zen 4), medium
 * 6 cores @3.4 GHz (Zen+), low 4 cores @2.0 GHz (Zen, downclocked). Per-core
 * speed: clock × rough IPC ratio (Zen 4 ≈ 1.4× Zen+), normalised to high.
 */
export const TIERS: Record<TierName, TierSpec> = {
  high: { name: 'high', cores: 8, speedFactor: 1 },
  medium: { name: 'medium', cores: 6, speedFactor: 0.55 },
  low: { name: 'low', cores: 4, speedFactor: 0.3 },
};

export function resolveTier(t: TierName | TierSpec): TierSpec {
  const spec = typeof t === 'string' ? TIERS[t] : t;
  if (spec === undefined) throw new InvalidArgumentError(`unknown tier ${String(t)}; use high, medium, low or { cores, speedFactor }`);
  if (!(spec.cores >= 1) || !(spec.speedFactor > 0)) {
    throw new InvalidArgumentError(`tier ${spec.name}: cores must be >= 1 and speedFactor > 0 (got ${spec.cores}, ${spec.speedFactor})`);
  }
  return spec;
}
