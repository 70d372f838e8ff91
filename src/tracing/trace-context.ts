import { randomFillSync } from 'node:crypto';
import type { TraceHeaders } from './request-span';

/** A W3C Trace Context `traceparent` as received: https://www.w3.org/TR/trace-context/#traceparent-header */
export interface TraceParent {
  traceId: string;
  parentId: string;
  flags: string;
}

// version 00 is exactly 55 characters; a later version may append fields after the flags (§3.2.4, §4.3).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO_TRACE = '0'.repeat(32);
const ALL_ZERO_SPAN = '0'.repeat(16);

/** The client's `traceparent`, or undefined when it is absent, repeated, or not one the specification accepts. */
export function parseTraceparent(header: string | string[] | undefined): TraceParent | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ALL_ZERO_TRACE || parentId === ALL_ZERO_SPAN) return undefined;
  return { traceId, parentId, flags };
}

/** The `traceparent` the upstream receives: the same trace, with `spanId` as its parent (version 00). */
export function formatTraceparent(traceId: string, spanId: string, flags: string): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

const POOL_IDS = 512;
const pool = Buffer.alloc(POOL_IDS * 8);
let next = POOL_IDS;

/** A random, never all-zero 8-byte span id in hex; one random fill serves 512 of them. */
export function newSpanId(): string {
  for (;;) {
    if (next === POOL_IDS) {
      randomFillSync(pool);
      next = 0;
    }
    const id = pool.toString('hex', next * 8, next * 8 + 8);
    next += 1;
    if (id !== ALL_ZERO_SPAN) return id;
  }
}

/**
 * Trace context continued with no tracer running (export off): the upstream gets the client's trace with a new
 * parent id, and the client's `tracestate` with it when it is valid; an invalid `traceparent` is dropped together
 * with its `tracestate` (§3.3.1), and a request without one starts no trace.
 */
export function continuedTraceHeaders(traceparent: string | string[] | undefined, tracestate: string | string[] | undefined): TraceHeaders | undefined {
  const parent = parseTraceparent(traceparent);
  if (!parent) return undefined;
  const continued = { traceparent: formatTraceparent(parent.traceId, newSpanId(), parent.flags) };
  const state = validTracestate(tracestate);
  return state === undefined ? continued : { ...continued, tracestate: state };
}

const MAX_TRACESTATE_LENGTH = 512;
const MAX_TRACESTATE_MEMBERS = 32;
// §3.3.1.3.1: a simple key, or tenant@system; §3.3.1.3.2: a value of printable ASCII but `,` and `=`, ending in no space.
const TRACESTATE_KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const OWS = /^[ \t]+|[ \t]+$/g;

/**
 * The client's `tracestate` (its copies joined, §3.3.1.1) when the whole of it keeps the grammar — at most 32 list
 * members and 512 characters, each `key=value` of the grammar, no key twice — else undefined: one malformed or
 * oversized header is dropped, never forwarded in part. Empty members are allowed and left out.
 */
export function validTracestate(header: string | string[] | undefined): string | undefined {
  const combined = Array.isArray(header) ? header.join(',') : header;
  if (combined === undefined || combined.length > MAX_TRACESTATE_LENGTH) return undefined;
  const members: string[] = [];
  const keys = new Set<string>();
  for (const raw of combined.split(',')) {
    const member = raw.replace(OWS, '');
    if (member === '') continue;
    const separator = member.indexOf('=');
    const key = member.slice(0, separator);
    if (separator < 0 || !TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(member.slice(separator + 1)) || keys.has(key)) return undefined;
    keys.add(key);
    members.push(member);
    if (members.length > MAX_TRACESTATE_MEMBERS) return undefined;
  }
  return members.length === 0 ? undefined : members.join(',');
}

/** Puts `trace` in place of the trace context already among an upstream request's headers (span export on). */
export function replaceTrace(headers: Record<string, string | string[]>, trace: TraceHeaders): void {
  headers['traceparent'] = trace.traceparent;
  if (trace.tracestate === undefined) delete headers['tracestate'];
  else headers['tracestate'] = trace.tracestate;
}
