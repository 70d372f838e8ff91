import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 25;

/**
 * Graceful shutdown of one listener: stop accepting, let in-flight responses finish for up to a grace period,
 * then cut whatever is left. Responses that have not started yet say `Connection: close`, and keep-alive
 * connections are closed as soon as they fall idle, so no client sends a new request into a closing server.
 */
export class HttpDrain {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;

  constructor(private readonly server: Server) {
    // Ahead of the app's own listener, so that even a response finished synchronously is seen starting.
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      if (this.draining) response.setHeader('connection', 'close');
      this.inFlight.add(response);
      response.once('close', () => this.inFlight.delete(response));
    });
  }

  /** Resolves once the listener is closed, with how many responses had to be cut short. */
  async drain(graceMs: number): Promise<number> {
    this.draining = true;
    for (const response of this.inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
    const closed = new Promise<void>((resolve) => {
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
    });
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      this.server.closeIdleConnections();
      await sleep(Math.min(POLL_MS, Math.max(deadline - Date.now(), 0)));
    }
    const cut = this.inFlight.size;
    this.server.closeAllConnections();
    await closed;
    return cut;
  }
}
