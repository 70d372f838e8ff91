import type { IncomingMessage } from 'node:http';

/** A request body that sends no byte for this long is given up on (408): trickled uploads cannot hold a connection. */
export const BODY_IDLE_TIMEOUT_MS = 10_000;

/** The client stopped sending its body: the exchange is aborted with this reason, answered `408`. */
export class RequestBodyIdle extends Error {
  readonly code = 'BFF_REQUEST_BODY_IDLE';
}

/**
 * Calls `onIdle` when `request` has sent no body byte for `idleMs` before its end; returns the function that stops
 * watching. One timer per upload, pushed back on each chunk (`refresh()`, no new timer per chunk).
 */
export function watchBodyIdle(request: IncomingMessage, onIdle: () => void, idleMs = BODY_IDLE_TIMEOUT_MS): () => void {
  if (request.readableEnded) return () => undefined;
  let dataSinceDue = false;
  let deciding: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    // Paused by backpressure (a slow upstream) or with bytes still buffered: waiting on us, not on the client.
    if (request.readableFlowing === false || request.readableLength > 0) {
      timer.refresh();
      return;
    }
    // A timer runs before the sockets are read: after a stall of this process (a long GC, a starved CPU) it is due
    // with the client's bytes still unread. Decide once those are read, after this turn's I/O.
    dataSinceDue = false;
    deciding = setImmediate(() => {
      deciding = undefined;
      if (dataSinceDue) timer.refresh();
      else onIdle();
    });
  }, idleMs);
  const onData = (): void => {
    dataSinceDue = true;
    timer.refresh();
  };
  const stop = (): void => {
    clearTimeout(timer);
    if (deciding) clearImmediate(deciding);
    request.off('data', onData);
    request.off('end', stop);
    request.off('close', stop);
  };
  request.on('data', onData);
  request.once('end', stop);
  request.once('close', stop);
  return stop;
}
