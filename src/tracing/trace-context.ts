import { randomFillSync } from 'node:crypto';

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
 * parent id, and the client's `tracestate` with it; an invalid `traceparent` is dropped together with its
 * `tracestate` (§3.3.1), and a request without one starts no trace.
 */
export function continuedTraceHeaders(traceparent: string | string[] | undefined, tracestate: string | string[] | undefined): { traceparent: string; tracestate?: string } | undefined {
  const parent = parseTraceparent(traceparent);
  if (!parent) return undefined;
  const continued = { traceparent: formatTraceparent(parent.traceId, newSpanId(), parent.flags) };
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  return state === undefined || state === '' ? continued : { ...continued, tracestate: state };
}
