import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// RSS and heapUsed mostly measure garbage V8 has not collected yet (when it collects depends on the machine's load);
// what is live right after a full collection does not.
setFlagsFromString('--expose-gc');
const gc: unknown = runInNewContext('gc');
// Only this module holds it: contexts created later (other test files in this worker) do not get a `gc`.
setFlagsFromString('--no-expose-gc');

/** This process's live memory after a full garbage collection: the heap's objects and the Buffers outside it. */
export function liveMemory(): { heap: number; buffers: number } {
  if (typeof gc !== 'function') throw new Error('gc() is not exposed');
  Reflect.apply(gc, undefined, []);
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heap: heapUsed, buffers: arrayBuffers };
}
