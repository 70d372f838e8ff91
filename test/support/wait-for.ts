import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How long a wait may last before it counts as a hang. Not a measure of anything: a test waits for an event (a line, a
 * port, a state) and this only stops one that would never come. Generous, so that a loaded machine is never the cause.
 */
export const HANG_GUARD_MS = 60_000;

export interface WaitOptions {
  /** Only against hangs (default HANG_GUARD_MS): what a test asserts about time, it measures and asserts itself. */
  timeoutMs?: number;
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/**
 * Polls until `probe` yields a value that `accept` takes (without `accept`: anything but undefined), or fails after
 * `timeoutMs` with the last value seen. Fault tests poll rather than sleep, so a loaded machine only makes them slower.
 */
export function waitFor<T>(probe: () => T | Promise<T>, accept: (value: T) => boolean, options?: WaitOptions): Promise<T>;
export function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, accept?: undefined, options?: WaitOptions): Promise<T>;
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  accept: ((value: T) => boolean) | undefined,
  { timeoutMs = HANG_GUARD_MS, intervalMs = 50, what = 'condition' }: WaitOptions = {},
): Promise<T> {
  const accepts = accept ?? ((value: T) => value !== undefined);
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (accepts(last)) return last;
    } catch (error: unknown) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const seen = lastError instanceof Error ? lastError.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
    }
    await sleep(intervalMs);
  }
}
