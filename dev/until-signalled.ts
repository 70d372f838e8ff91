/** Resolves on SIGINT or SIGTERM; as a container's PID 1, node would otherwise ignore `docker stop`'s SIGTERM. */
export function untilSignalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal));
  });
}
