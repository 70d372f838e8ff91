import fc from 'fast-check';
import { closeFrame, FrameBoundaries } from './frame-boundaries';

/** A frame as RFC 6455 §5.2 lays it out, with any payload length form (7-bit, 16-bit, 64-bit) and mask. */
function frame(payloadLength: number, masked: boolean, opcode = 0x2): Buffer {
  const extended = payloadLength < 126 ? [] : payloadLength < 65536 ? [126] : [127];
  const header = Buffer.alloc(2 + (extended.length ? (payloadLength < 65536 ? 2 : 8) : 0) + (masked ? 4 : 0));
  header[0] = 0x80 | opcode;
  header[1] = (masked ? 0x80 : 0) | (extended[0] ?? payloadLength);
  if (payloadLength >= 126 && payloadLength < 65536) header.writeUInt16BE(payloadLength, 2);
  if (payloadLength >= 65536) header.writeBigUInt64BE(BigInt(payloadLength), 2);
  return Buffer.concat([header, Buffer.alloc(payloadLength, 0x81)]);
}

const frames = fc.array(
  fc.record({ length: fc.oneof(fc.integer({ min: 0, max: 130 }), fc.constantFrom(125, 126, 127, 65535, 65536, 70_000)), masked: fc.boolean() }),
  { minLength: 1, maxLength: 8 },
);

function chunked(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, stream.length]) {
    if (point > start) chunks.push(stream.subarray(start, point));
    start = Math.max(start, point);
  }
  return chunks;
}

describe('FrameBoundaries', () => {
  it('knows, after any chunk of any split of any frames, whether the stream stands on a frame boundary', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.nat(), { maxLength: 12 }), (specs, cuts) => {
        const built = specs.map(({ length, masked }) => frame(length, masked));
        const ends = new Set<number>();
        built.reduce((offset, one) => (ends.add(offset + one.length), offset + one.length), 0);
        const tracker = new FrameBoundaries();
        let seen = 0;
        for (const chunk of chunked(Buffer.concat(built), cuts)) {
          expect(tracker.advance(chunk)).toBe(chunk.length);
          seen += chunk.length;
          expect(tracker.atBoundary).toBe(ends.has(seen));
        }
      }),
    );
  });

  it('stops exactly at the end of the frame in flight when asked to', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.nat(), { maxLength: 12 }), fc.nat(), (specs, cuts, stopAfterChunk) => {
        const built = specs.map(({ length, masked }) => frame(length, masked));
        const stream = Buffer.concat(built);
        const ends: number[] = [];
        built.reduce((offset, one) => (ends.push(offset + one.length), offset + one.length), 0);
        const chunks = chunked(stream, cuts);
        const tracker = new FrameBoundaries();
        let seen = 0;
        const stopFrom = stopAfterChunk % chunks.length;
        for (const [index, chunk] of chunks.entries()) {
          if (index < stopFrom) {
            tracker.advance(chunk);
            seen += chunk.length;
            continue;
          }
          const wasAtBoundary = tracker.atBoundary;
          const taken = tracker.advance(chunk, true);
          if (wasAtBoundary) {
            expect(taken).toBe(0);
            return;
          }
          const nextEnd = ends.find((end) => end > seen) ?? stream.length;
          expect(taken).toBe(Math.min(nextEnd - seen, chunk.length));
          seen += taken;
          if (tracker.atBoundary) return;
        }
      }),
    );
  });

  it('builds close frames with code and reason, masked towards the upstream only', () => {
    const toBrowser = closeFrame(1008, 'session_revoked', false);
    expect([...toBrowser.subarray(0, 4)]).toEqual([0x88, 17, 0x03, 0xf0]);
    expect(toBrowser.subarray(4).toString()).toBe('session_revoked');

    const toUpstream = closeFrame(1008, 'session_revoked', true);
    expect([...toUpstream.subarray(0, 2)]).toEqual([0x88, 0x80 | 17]);
    const mask = toUpstream.subarray(2, 6);
    const payload = Buffer.from(toUpstream.subarray(6).map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
    expect(payload.readUInt16BE(0)).toBe(1008);
    expect(payload.subarray(2).toString()).toBe('session_revoked');

    expect(closeFrame(1001, 'x'.repeat(500), false).length).toBe(2 + 2 + 123);
  });
});
