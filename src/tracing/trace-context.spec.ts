import fc from 'fast-check';
import { continuedTraceHeaders, formatTraceparent, newSpanId, parseTraceparent } from './trace-context';

const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const traceId = hex(32).filter((id) => /[1-9a-f]/.test(id));
const spanId = hex(16).filter((id) => /[1-9a-f]/.test(id));
const VERSION_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('trace context without a tracer', () => {
  it('reads back what it formats', () => {
    fc.assert(
      fc.property(traceId, spanId, hex(2), (trace, span, flags) => {
        expect(parseTraceparent(formatTraceparent(trace, span, flags))).toEqual({ traceId: trace, parentId: span, flags });
      }),
    );
  });

  it('continues a valid traceparent with the same trace id and flags and a new parent id', () => {
    fc.assert(
      fc.property(traceId, spanId, hex(2), fc.option(fc.string({ maxLength: 40 }), { nil: undefined }), (trace, span, flags, state) => {
        const continued = continuedTraceHeaders(`00-${trace}-${span}-${flags}`, state);
        expect(continued?.traceparent).toMatch(VERSION_00);
        const [, sameTrace, parent, sameFlags] = continued!.traceparent.split('-');
        expect({ sameTrace, sameFlags }).toEqual({ sameTrace: trace, sameFlags: flags });
        expect(parent).not.toBe(span);
        expect(continued?.tracestate).toBe(state === '' ? undefined : state);
      }),
    );
  });

  it('answers any header at all with a valid version-00 traceparent or nothing, never a throw, and never the client\'s parent id', () => {
    const header = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.tuple(hex(2), traceId, spanId, hex(2), fc.string({ maxLength: 5 })).map(([v, t, s, f, rest]) => `${v}-${t}-${s}-${f}${rest}`),
      fc.array(fc.string({ maxLength: 60 }), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(header, (value) => {
        const continued = continuedTraceHeaders(value, 'x=1');
        if (continued === undefined) return;
        expect(continued.traceparent).toMatch(VERSION_00);
        expect(continued.traceparent.split('-')[2]).not.toBe(parseTraceparent(value)?.parentId);
      }),
    );
  });

  it('refuses what the specification refuses', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    for (const invalid of [`ff-${id}-${parent}-01`, `00-${'0'.repeat(32)}-${parent}-01`, `00-${id}-${'0'.repeat(16)}-01`, `00-${id}-${parent}-01-x`, `00-${id.toUpperCase()}-${parent}-01`, `00-${id}-${parent}-1`]) {
      expect(parseTraceparent(invalid)).toBeUndefined();
    }
    expect(parseTraceparent([`00-${id}-${parent}-01`])).toBeUndefined();
    expect(parseTraceparent(`cc-${id}-${parent}-01-later-fields`)).toEqual({ traceId: id, parentId: parent, flags: '01' });
  });

  it('makes span ids of 16 hex digits, never all zero, not repeating', () => {
    const ids = Array.from({ length: 5000 }, newSpanId);
    for (const id of ids) expect(id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
