import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { closeFrame, FrameBoundaries } from './frame-boundaries';

/** How long a close waits for a frame in flight to end before it cuts the connection instead. */
const CLOSE_DEADLINE_MS = 1_000;

interface Direction {
  from: Duplex;
  to: Duplex;
  frames: FrameBoundaries;
  /** Frames towards the upstream are masked (RFC 6455 §5.3), towards the browser not. */
  masked: boolean;
  done: boolean;
}

/**
 * One WebSocket relayed between the browser and the upstream after both handshakes: bytes stream both ways as they
 * come, with backpressure (a slow reader pauses the other side), and `close` ends both sides with a close frame
 * placed between frames, so each side sees a clean close with the BFF's code and reason.
 */
export class SocketRelay {
  readonly closed: Promise<void>;
  private closing: { code: number; reason: string } | undefined;
  private readonly directions: readonly [Direction, Direction];

  constructor(client: Duplex, upstream: Duplex, clientHead: Buffer, upstreamHead: Buffer) {
    const up: Direction = { from: client, to: upstream, frames: new FrameBoundaries(), masked: true, done: false };
    const down: Direction = { from: upstream, to: client, frames: new FrameBoundaries(), masked: false, done: false };
    this.directions = [up, down];
    this.closed = new Promise((resolve) => {
      let open = 2;
      const onClose = (other: Duplex) => () => {
        other.destroy();
        open -= 1;
        if (open === 0) resolve();
      };
      client.once('close', onClose(upstream));
      upstream.once('close', onClose(client));
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.destroy());
      // Small messages go out at once rather than waiting for Nagle's algorithm.
      if (socket instanceof Socket) socket.setNoDelay(true);
    }
    for (const direction of this.directions) this.pump(direction);
    if (clientHead.length > 0) this.forward(up, clientHead);
    if (upstreamHead.length > 0) this.forward(down, upstreamHead);
  }

  /** Ends both sides with this close code and reason, each at its next frame boundary (at once when idle). */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = { code, reason };
    for (const direction of this.directions) if (direction.frames.atBoundary) this.finish(direction);
    setTimeout(() => this.destroy(), CLOSE_DEADLINE_MS).unref();
  }

  destroy(): void {
    for (const { from } of this.directions) from.destroy();
  }

  private pump(direction: Direction): void {
    const { from, to } = direction;
    from.on('data', (chunk: Buffer) => this.forward(direction, chunk));
    to.on('drain', () => {
      if (!direction.done) from.resume();
    });
    from.once('end', () => {
      if (!direction.done) to.end();
    });
  }

  private forward(direction: Direction, chunk: Buffer): void {
    if (direction.done) return;
    const { from, to, frames } = direction;
    if (this.closing === undefined) {
      frames.advance(chunk);
      if (!to.write(chunk)) from.pause();
      return;
    }
    const upToBoundary = frames.advance(chunk, true);
    if (upToBoundary > 0) to.write(chunk.subarray(0, upToBoundary));
    if (frames.atBoundary) this.finish(direction);
  }

  private finish(direction: Direction): void {
    const { code, reason } = this.closing ?? { code: 1000, reason: '' };
    direction.done = true;
    direction.from.pause();
    direction.to.end(closeFrame(code, reason, direction.masked));
  }
}
