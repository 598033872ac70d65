// Piscina worker entry for every stateless CPU job: registers tsx so tasks can
// be TypeScript modules, then runs the module named in each task. A task module
// exports `default(input)` and optionally `transferList(output)` naming the
// ArrayBuffers to move (not copy) back to the caller.
import { register } from 'tsx/esm/api';
import { move, transferableSymbol, valueSymbol } from 'piscina';

register();

const modules = new Map();

export default async function runPoolTask({ module, input }) {
  let mod = modules.get(module);
  if (mod === undefined) {
    mod = await import(module);
    modules.set(module, mod);
  }
  const output = await mod.default(input);
  const transfer = typeof mod.transferList === 'function' ? mod.transferList(output) : [];
  if (transfer.length === 0) return output;
  return move({
    get [transferableSymbol]() {
      return transfer;
    },
    get [valueSymbol]() {
      return output;
    },
  });
}
