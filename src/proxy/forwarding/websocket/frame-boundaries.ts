import { randomBytes } from 'node:crypto';

const MAX_HEADER = 14;

/**
 * Follows RFC 6455 frame boundaries in one direction of a relayed WebSocket, reading only frame headers and never
 * payloads, so the relay streams bytes as they come and can still put a close frame between two frames (control
 * frames may sit between the fragments of a message, §5.4).
 */
export class FrameBoundaries {
  /** Bytes of the current frame, header included, not yet seen. */
  private remaining = 0;
  /** The start of a header split across chunks. */
  private partial: Buffer | undefined;

  get atBoundary(): boolean {
    return this.remaining === 0 && this.partial === undefined;
  }

  /**
   * Takes the next chunk of the stream. With `stopAtBoundary`, answers how many of its bytes end at the first frame
   * boundary (0 when the chunk starts on one, `chunk.length` when no frame ends inside it); else `chunk.length`.
   */
  advance(chunk: Buffer, stopAtBoundary = false): number {
    if (stopAtBoundary && this.atBoundary) return 0;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const taken = Math.min(this.remaining, chunk.length - offset);
        this.remaining -= taken;
        offset += taken;
        if (this.remaining === 0 && stopAtBoundary) return offset;
        continue;
      }
      const seen = this.partial?.length ?? 0;
      const head = this.partial ? Buffer.concat([this.partial, chunk.subarray(offset, offset + MAX_HEADER)]) : chunk.subarray(offset, offset + MAX_HEADER);
      const frameLength = frameLengthOf(head);
      if (frameLength === undefined) {
        this.partial = Buffer.from(head.subarray(0, seen + chunk.length - offset));
        return chunk.length;
      }
      this.partial = undefined;
      this.remaining = frameLength - seen;
    }
    return chunk.length;
  }
}

/** Header plus payload length of the frame whose header starts `head`, or undefined while the header is incomplete. */
function frameLengthOf(head: Buffer): number | undefined {
  if (head.length < 2) return undefined;
  const second = head[1] ?? 0;
  const masked = (second & 0x80) !== 0;
  const shortLength = second & 0x7f;
  const extended = shortLength === 126 ? 2 : shortLength === 127 ? 8 : 0;
  const headerLength = 2 + extended + (masked ? 4 : 0);
  if (head.length < headerLength) return undefined;
  const payload = shortLength === 126 ? head.readUInt16BE(2) : shortLength === 127 ? Number(head.readBigUInt64BE(2)) : shortLength;
  return headerLength + payload;
}

/** A close frame with a status code and a reason (at most 123 bytes); masked when it goes to the server (§5.3). */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  if (!masked) return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
  const mask = randomBytes(4);
  for (let i = 0; i < payload.length; i += 1) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, payload]);
}
