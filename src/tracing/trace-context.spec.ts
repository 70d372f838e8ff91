import fc from 'fast-check';
import { continuedTraceHeaders, formatTraceparent, newSpanId, parseTraceparent, validTracestate } from './trace-context';

const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const traceId = hex(32).filter((id) => /[1-9a-f]/.test(id));
const spanId = hex(16).filter((id) => /[1-9a-f]/.test(id));
const VERSION_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const keyChar = fc.constantFrom(...'abcxyz0189_-*/');
const simpleKey = fc.tuple(fc.constantFrom(...'abcxyz'), fc.string({ unit: keyChar, maxLength: 8 })).map(([first, rest]) => first + rest);
const tenantKey = fc.tuple(fc.constantFrom(...'ab09'), fc.string({ unit: keyChar, maxLength: 5 }), fc.constantFrom(...'xyz'), fc.string({ unit: keyChar, maxLength: 4 })).map(
  ([first, tenant, system, rest]) => `${first}${tenant}@${system}${rest}`,
);
const valueChar = fc.constantFrom(...'abcXYZ019 !"#+-./:;<>?[]~');
const value = fc.string({ unit: valueChar, minLength: 1, maxLength: 10 }).filter((text) => !text.endsWith(' '));
/** A valid tracestate as a client may send it: empty members and spaces around commas included. */
const tracestate = fc
  .uniqueArray(fc.tuple(fc.oneof(simpleKey, tenantKey), value), { minLength: 1, maxLength: 32, selector: ([key]) => key })
  .chain((pairs) => {
    const members = pairs.map(([key, text]) => `${key}=${text}`);
    return fc.array(fc.constantFrom(',', ', ', ' ,\t', ', ,'), { minLength: members.length - 1, maxLength: members.length - 1 }).map((separators) => ({
      members,
      header: members.reduce((header, member, index) => (index === 0 ? member : `${header}${separators[index - 1]}${member}`), ''),
    }));
  })
  .filter(({ header }) => header.length <= 512);

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
      fc.property(traceId, spanId, hex(2), fc.option(tracestate, { nil: undefined }), (trace, span, flags, state) => {
        const continued = continuedTraceHeaders(`00-${trace}-${span}-${flags}`, state?.header);
        expect(continued?.traceparent).toMatch(VERSION_00);
        const [, sameTrace, parent, sameFlags] = continued!.traceparent.split('-');
        expect({ sameTrace, sameFlags }).toEqual({ sameTrace: trace, sameFlags: flags });
        expect(parent).not.toBe(span);
        expect(continued?.tracestate).toBe(state?.members.join(','));
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

describe('tracestate (W3C Trace Context §3.3)', () => {
  it('keeps the members of a valid header, joined by commas, without the empty ones', () => {
    fc.assert(fc.property(tracestate, ({ members, header }) => expect(validTracestate(header)).toBe(members.join(','))));
    expect(validTracestate(['a=1', 'b=2'])).toBe('a=1,b=2');
    expect(validTracestate(' , ')).toBeUndefined();
  });

  it.each([
    ['more than 32 members', Array.from({ length: 33 }, (_, index) => `k${index}=v`).join(',')],
    ['more than 512 characters', `a=${'x'.repeat(250)},b=${'x'.repeat(250)},c=${'x'.repeat(10)}`],
    ['a key starting with a digit, not a tenant', '0abc=1'],
    ['an upper-case key', 'Vendor=1'],
    ['a key of 257 characters', `a${'b'.repeat(256)}=1`],
    ['a system id of 15 characters', `t@s${'y'.repeat(14)}=1`],
    ['a value of 257 characters', `a=${'x'.repeat(257)}`],
    ['a value holding =', 'a=b=c'],
    ['an empty value', 'a='],
    ['a member without =', 'a=1,b'],
    ['a repeated key', 'a=1,a=2'],
    ['a control character', 'a=x\u0001y'],
    ['a character beyond ASCII', 'a=caf\u00e9'],
  ])('drops the whole header for %s', (_case, header) => {
    expect(validTracestate(header)).toBeUndefined();
    expect(validTracestate(`ok=1,${header}`)).toBeUndefined();
  });

  it('answers any text with a header of the grammar or nothing, never a throw', () => {
    const member = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 4 })), (header) => {
        const kept = validTracestate(header);
        if (kept !== undefined) for (const one of kept.split(',')) expect(one).toMatch(member);
      }),
    );
  });
});
