import { createServer } from 'node:net';

/** A port that was free a moment ago, for a server whose URL must be known before it starts (the IdP's redirect URIs). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts something on a port that was free a moment ago, and again on another one should a process have taken it in
 * between (another test file, an outgoing connection given that port): a busy machine must not fail a test by chance.
 * `start` cleans up after itself when it fails.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start(await freePort());
    } catch (error: unknown) {
      if (attempt >= attempts || !isPortTaken(error)) throw error;
    }
  }
}

function isPortTaken(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  if ('code' in error && error.code === 'EADDRINUSE') return true;
  return 'cause' in error && isPortTaken(error.cause, depth + 1);
}
