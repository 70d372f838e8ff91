import { Redis } from 'ioredis';
import { SessionStore } from '../../src/session/session.store';
import { hashSessionId } from '../../src/session/token-crypto';
import type { EchoBody } from '../support/echo-upstream';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import type { TestBrowser } from '../support/test-browser';
import { TEST_REDIS_URL } from '../support/test-redis';
import { waitFor } from '../support/wait-for';

const CSRF = { 'x-csrf': '1' };
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_PARENT = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_PARENT}-01`;
// W3C Trace Context §3.3.1: at most 32 list members, 512 characters in all, each member `key=value` of its grammar.
const INVALID_TRACESTATES: [string, string][] = [
  ['8 KB', `vendor=${'x'.repeat(8185)}`],
  ['longer than 512 characters', `a=${'x'.repeat(250)},b=${'x'.repeat(250)},c=${'x'.repeat(10)}`],
  ['33 members', Array.from({ length: 33 }, (_, index) => `k${index}=v`).join(',')],
  ['an upper-case key', 'vendor=ok,Vendor=1'],
  ['a member without =', 'vendor=ok,junk'],
  ['a value holding =', 'vendor=a=b'],
  ['a repeated key', 'vendor=1,vendor=2'],
];
const SERVER = 2;
const CLIENT = 3;

async function call(browser: TestBrowser, url: string, headers: Record<string, string>) {
  const response = await browser.get(url, { ...CSRF, ...headers });
  return { status: response.status, body: JSON.parse(response.body) as EchoBody };
}

/** Spans of one trace, once the batch with the span named `last` has arrived. */
async function traceOf(receiver: OtlpReceiver, traceId: string, last: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan[]> {
  await waitFor(() => receiver.spans.some((span) => span.traceId === traceId && last(span)), (found) => found, { what: `the spans of trace ${traceId}` });
  return receiver.spans.filter((span) => span.traceId === traceId);
}

describe.each([
  ['http/protobuf', 'gzip'],
  ['http/json', 'none'],
])('span export over OTLP %s, compression %s', (protocol, compression) => {
  let receiver: OtlpReceiver;
  let stack: ProxyStack;
  let alice: TestBrowser;
  const secrets: string[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startProxyStack({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_COMPRESSION: compression,
      OTEL_SERVICE_NAME: 'bff-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      TOKEN_REFRESH_SKEW: '0',
    });
    alice = stack.browser();
    const login = await alice.loginWithForm(`${stack.publicUrl}/auth/login`, 'alice', 'alice-password');
    const callback = new URL(login.visited.find((url) => url.includes('/auth/callback?')) ?? '');
    const sessionId = alice.cookies(stack.publicUrl)['bff-session'] ?? '';
    const lookup = await stack.app.app.get(SessionStore).lookup(sessionId);
    if (lookup.status !== 'active') throw new Error('login left no session');
    const { accessToken, refreshToken, idToken } = lookup.session.contents;
    secrets.push(sessionId, callback.searchParams.get('code') ?? '', accessToken, idToken ?? '', refreshToken ?? '', stack.idp.clientSecret, hashSessionId(sessionId));
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('exports a server span per proxied call, continuing the client\'s trace, with the upstream call as its child', async () => {
    const { status, body } = await call(alice, `${stack.publicUrl}/api/orders/1`, { traceparent: TRACEPARENT, tracestate: 'vendor=opaque' });
    expect(status).toBe(200);
    const spans = await traceOf(receiver, TRACE_ID, (span) => span.kind === SERVER);
    const server = spans.find((span) => span.kind === SERVER)!;
    expect(server).toMatchObject({ name: 'GET /api', parentSpanId: CLIENT_PARENT, attributes: { 'http.route': '/api', 'http.response.status_code': 200, 'http.request.method': 'GET' } });
    expect(server.resource['service.name']).toBe('bff-under-test');
    const upstream = spans.find((span) => span.kind === CLIENT && span.name.startsWith('upstream'))!;
    expect(upstream).toMatchObject({ parentSpanId: server.spanId, attributes: { 'http.response.status_code': 200, 'server.address': '127.0.0.1' } });
    // The upstream continues the same trace under the BFF's upstream span.
    expect(body.headers['traceparent']).toBe(`00-${TRACE_ID}-${upstream.spanId}-01`);
    expect(body.headers['tracestate']).toBe('vendor=opaque');
    // The first call after login read the session from Redis.
    expect(spans.find((span) => span.name === 'session.lookup')).toMatchObject({ parentSpanId: server.spanId });
  });

  it('starts a trace of its own when the client sends none, and still continues it upstream', async () => {
    const { body } = await call(alice, `${stack.publicUrl}/api/no-parent`, {});
    const [, traceId] = String(body.headers['traceparent']).split('-');
    const spans = await traceOf(receiver, traceId, (span) => span.kind === SERVER);
    expect(spans.find((span) => span.kind === SERVER)).toMatchObject({ parentSpanId: '', attributes: { 'http.route': '/api' } });
  });

  it('records a refresh, its wait for another holder\'s lease, and the IdP call under the request\'s span', async () => {
    const sessionId = alice.cookies(stack.publicUrl)['bff-session'] ?? '';
    const store = stack.app.app.get(SessionStore);
    // Due now: the access token is taken to expire this moment. Another instance holds the lease for 300 ms.
    const lookup = await store.lookup(sessionId);
    if (lookup.status !== 'active') throw new Error('no session');
    await store.replaceContents(sessionId, lookup.session, { ...lookup.session.contents, accessTokenExpiresAt: Date.now() });
    const redis = new Redis(TEST_REDIS_URL);
    await redis.set(store.refreshLeaseKey(hashSessionId(sessionId)), 'another-instance', 'PX', 300);
    await redis.quit();
    const traceId = 'a'.repeat(31) + 'b';
    const { status } = await call(alice, `${stack.publicUrl}/api/refreshing`, { traceparent: `00-${traceId}-${CLIENT_PARENT}-01` });
    expect(status).toBe(200);
    const spans = await traceOf(receiver, traceId, (span) => span.kind === SERVER);
    const server = spans.find((span) => span.kind === SERVER)!;
    const refresh = spans.find((span) => span.name === 'session.refresh')!;
    expect(refresh.parentSpanId).toBe(server.spanId);
    expect(spans.find((span) => span.name === 'session.refresh.lease_wait')).toMatchObject({ parentSpanId: refresh.spanId });
    const idp = spans.find((span) => span.name === 'idp token')!;
    expect(idp).toMatchObject({ kind: CLIENT, attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 } });
    expect(spans.map((span) => span.spanId)).toContain(idp.parentSpanId);
  });

  it('exports server spans for the BFF\'s own endpoints with their route templates', async () => {
    const traceId = 'c'.repeat(32);
    await alice.get(`${stack.publicUrl}/auth/user`, { traceparent: `00-${traceId}-${CLIENT_PARENT}-01` });
    const spans = await traceOf(receiver, traceId, (span) => span.kind === SERVER);
    expect(spans.find((span) => span.kind === SERVER)).toMatchObject({ name: 'GET /auth/user', attributes: { 'http.route': '/auth/user', 'bff.listener': 'browser' } });
  });

  it(`sends ${protocol} and puts no token, cookie, code, secret or session id in any span`, async () => {
    await waitFor(() => receiver.spans.some((span) => span.name.startsWith('idp token')), (found) => found, { what: 'the IdP token span' });
    expect(new Set(receiver.contentTypes)).toEqual(new Set([protocol === 'http/json' ? 'application/json' : 'application/x-protobuf']));
    expect(new Set(receiver.encodings)).toEqual(new Set([compression === 'gzip' ? 'gzip' : 'identity']));
    expect(receiver.spans.map((span) => span.name)).toEqual(expect.arrayContaining(['GET /auth/login', 'GET /auth/callback', 'idp discovery', 'idp jwks']));
    const exported = Buffer.concat(receiver.bodies).toString('latin1');
    for (const secret of secrets.filter((value) => value.length >= 8)) expect(exported).not.toContain(secret);
    expect(exported).not.toContain('code=');
  });
});

describe('trace context with span export off', () => {
  let stack: ProxyStack;
  let alice: TestBrowser;

  beforeAll(async () => {
    stack = await startProxyStack();
    alice = await stack.signedIn('alice');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('continues the client\'s trace upstream with a new parent id, and its tracestate', async () => {
    const { body } = await call(alice, `${stack.publicUrl}/api/x`, { traceparent: TRACEPARENT, tracestate: 'vendor=opaque' });
    const [version, traceId, parentId, flags] = String(body.headers['traceparent']).split('-');
    expect({ version, traceId, flags }).toEqual({ version: '00', traceId: TRACE_ID, flags: '01' });
    expect(parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(parentId).not.toBe(CLIENT_PARENT);
    expect(body.headers['tracestate']).toBe('vendor=opaque');
  });

  it.each(INVALID_TRACESTATES)('drops a tracestate that breaks the W3C grammar (%s), and still continues the trace', async (_case, tracestate) => {
    const { status, body } = await call(alice, `${stack.publicUrl}/api/x`, { traceparent: TRACEPARENT, tracestate });
    expect(status).toBe(200);
    expect(String(body.headers['traceparent'])).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(body.headers['tracestate']).toBeUndefined();
  });

  it('forwards a tracestate the grammar allows: 32 members, multi-tenant keys, empty members and spaces', async () => {
    const members = Array.from({ length: 31 }, (_, index) => `k${index}=v${index}`);
    const { body } = await call(alice, `${stack.publicUrl}/api/x`, { traceparent: TRACEPARENT, tracestate: ` t@sys=a b, ,${members.join(',')}` });
    expect(body.headers['tracestate']).toBe(`t@sys=a b,${members.join(',')}`);
  });

  it('gives every call its own parent id', async () => {
    const parents = new Set<string>();
    for (let i = 0; i < 5; i++) parents.add(String((await call(alice, `${stack.publicUrl}/api/x`, { traceparent: TRACEPARENT })).body.headers['traceparent']));
    expect(parents.size).toBe(5);
  });

  it.each([
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${CLIENT_PARENT}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${CLIENT_PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${CLIENT_PARENT}-01`],
    ['extra fields on version 00', `${TRACEPARENT}-extra`],
    ['two values', `${TRACEPARENT}, ${TRACEPARENT}`],
  ])('drops a traceparent with %s, and its tracestate with it', async (_case, traceparent) => {
    const { status, body } = await call(alice, `${stack.publicUrl}/api/x`, { traceparent, tracestate: 'vendor=opaque' });
    expect(status).toBe(200);
    expect(body.headers['traceparent']).toBeUndefined();
    expect(body.headers['tracestate']).toBeUndefined();
  });

  it('reads a later version\'s traceparent as version 00', async () => {
    const { body } = await call(alice, `${stack.publicUrl}/api/x`, { traceparent: `01-${TRACE_ID}-${CLIENT_PARENT}-01-future` });
    expect(String(body.headers['traceparent'])).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  });

  it('sends no trace context when the client sent none, and none for a client\'s trace_parent spelling', async () => {
    const { body } = await call(alice, `${stack.publicUrl}/api/x`, { trace_parent: TRACEPARENT, tracestate: 'vendor=opaque' });
    expect(body.headers['traceparent']).toBeUndefined();
    expect(body.headers['trace_parent']).toBeUndefined();
    expect(body.headers['tracestate']).toBeUndefined();
  });

  it('continues the trace on auth: none routes too', async () => {
    const response = await fetch(`${stack.publicUrl}/public/x`, { headers: { traceparent: TRACEPARENT } });
    const body = (await response.json()) as EchoBody;
    expect(String(body.headers['traceparent'])).toMatch(new RegExp(`^00-${TRACE_ID}-(?!${CLIENT_PARENT})[0-9a-f]{16}-01$`));
  });
});

describe('span export on, the trace not sampled', () => {
  let receiver: OtlpReceiver;
  let stack: ProxyStack;
  let alice: TestBrowser;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startProxyStack({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_off', OTEL_BSP_SCHEDULE_DELAY: '50' });
    alice = await stack.signedIn('alice');
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  it('still continues the client\'s trace upstream with a new parent id, and records nothing of it', async () => {
    const { body } = await call(alice, `${stack.publicUrl}/api/x`, { traceparent: `00-${TRACE_ID}-${CLIENT_PARENT}-00`, tracestate: 'vendor=opaque' });
    expect(String(body.headers['traceparent'])).toMatch(new RegExp(`^00-${TRACE_ID}-(?!${CLIENT_PARENT})[0-9a-f]{16}-00$`));
    expect(body.headers['tracestate']).toBe('vendor=opaque');
    for (const [, tracestate] of INVALID_TRACESTATES) {
      const { body: dropped } = await call(alice, `${stack.publicUrl}/api/x`, { traceparent: `00-${TRACE_ID}-${CLIENT_PARENT}-00`, tracestate });
      expect(dropped.headers['tracestate']).toBeUndefined();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.spans.filter((span) => span.traceId === TRACE_ID)).toEqual([]);
  });
});
