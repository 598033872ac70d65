// `edgekv up --tiers`: emulated hardware tiers per edge node from the command line.
import { TIERS, type TierName, type TierSpec } from '../actors/pilot/tier.js';
import { UsageError } from './errors.js';

/** `--tiers g1-n1=high,g1-n2=low,g2-n1=4:0.5`: a tier name, or cores:speedFactor, per edge node. */
export function parseTiers(text: string): Record<string, TierName | TierSpec> {
  const out: Record<string, TierName | TierSpec> = {};
  for (const item of text.split(',').filter((x) => x.trim() !== '')) {
    const [node, tier] = item.split('=').map((x) => x.trim());
    if (node === undefined || node === '' || tier === undefined || tier === '') throw new UsageError(`--tiers: "${item}" is not NODE=TIER`);
    if (tier in TIERS) {
      out[node] = tier as TierName;
      continue;
    }
    const m = /^(\d+):(\d+(?:\.\d+)?)$/.exec(tier);
    if (m === null || Number(m[1]) < 1 || !(Number(m[2]) > 0)) {
      throw new UsageError(`--tiers: ${node}=${tier}: use ${Object.keys(TIERS).join(', ')}, or CORES:SPEED (e.g. 4:0.5)`);
    }
    out[node] = { name: tier, cores: Number(m[1]), speedFactor: Number(m[2]) };
  }
  return out;
}
