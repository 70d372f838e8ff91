import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Gives back what start-up leaves behind. Loading the modules, building Nest's container and running the migrations
 * allocate over 100 MB that dies young, and V8 grows the young generation to its maximum (`--max-semi-space-size`)
 * to keep up; at rest it returns that only when its memory reducer runs, minutes later. A sidecar is charged for its
 * idle footprint, so once the listeners are open one memory-reducing full collection returns it at once (about 40 MB,
 * some 70 ms of CPU, once). Under load the young generation grows again as it needs to.
 */
export function settleHeap(): void {
  // The collector is reachable only through `gc`, which V8 installs in contexts created while --expose-gc is set.
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  setFlagsFromString('--no-expose-gc');
  if (typeof gc !== 'function') return;
  // V8's `gc(options)`: `last-resort` is its memory-reducing collection (CollectAllAvailableGarbage).
  Reflect.apply(gc, undefined, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
}
