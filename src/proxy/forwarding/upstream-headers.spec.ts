import type { IncomingHttpHeaders } from 'node:http';
import type { UpstreamCaller, UpstreamIdentity } from './identity-headers';
import { buildUpstreamHeaders, type UpstreamHeaderContext } from './upstream-headers';

const identity: UpstreamIdentity = {
  consumer: { id: '6f1c1c1e-4a47-4c2f-9f35-2b8a1f5e4a10', username: 'alice', custom_id: 'okta|alice' },
  anonymous: false,
  credential: 'okta|alice',
  groups: ['admins', 'users'],
  headerClaims: { email: 'alice@example.com', iss: 'https://idp.example', age: 42, verified: true, roles: ['a', 'b'], address: { city: 'X' } },
};
const caller: UpstreamCaller = { bearer: 'access-token', identity };

/** The caller with some of its identity changed. */
const callerWith = (changes: Partial<UpstreamIdentity>): UpstreamCaller => ({ ...caller, identity: { ...identity, ...changes } });

function context(overrides: Partial<UpstreamHeaderContext> = {}): UpstreamHeaderContext {
  return {
    caller,
    sessionCookieName: '__Host-bff-session',
    strippedCookies: ['__Host-bff-login*'],
    csrfHeader: 'X-CSRF',
    claimHeaders: [
      { claim: 'email', header: 'x-user-email' },
      { claim: 'iss', header: 'X-Issuer' },
    ],
    clientIp: '203.0.113.7',
    proto: 'https',
    host: 'app.example.com',
    ...overrides,
  };
}

describe('buildUpstreamHeaders', () => {
  it('passes ordinary headers through and adds the identity and forwarding headers', () => {
    const sut = buildUpstreamHeaders(
      { accept: 'application/json', 'content-type': 'text/plain', 'content-length': '5', 'x-request-id': 'r1', host: 'app.example.com' },
      context(),
    );
    expect(sut).toEqual({
      accept: 'application/json',
      'content-type': 'text/plain',
      'content-length': '5',
      
      authorization: 'Bearer access-token',
      'x-consumer-id': '6f1c1c1e-4a47-4c2f-9f35-2b8a1f5e4a10',
      'x-consumer-username': 'alice',
      'x-consumer-custom-id': 'okta|alice',
      'x-credential-identifier': 'okta|alice',
      'x-authenticated-groups': 'admins, users',
      'x-user-email': 'alice@example.com',
      'x-issuer': 'https://idp.example',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.com',
    });
  });

  it('replaces every client-supplied copy of the identity headers, whatever their case', () => {
    const spoofed: IncomingHttpHeaders = {
      authorization: 'Bearer forged',
      'X-Consumer-ID': 'admin',
      'x-consumer-id': 'admin',
      'X-CONSUMER-USERNAME': 'root',
      'x-consumer-custom-id': 'root',
      'x-credential-identifier': 'root',
      'X-Authenticated-Groups': 'superusers',
      'x-anonymous-consumer': 'false',
      'x-user-email': 'mallory@example.com',
      'X-Issuer': 'https://evil.example',
    };
    const sut = buildUpstreamHeaders(spoofed, context());
    expect(sut).toMatchObject({
      authorization: 'Bearer access-token',
      'x-consumer-id': identity.consumer!.id,
      'x-consumer-username': 'alice',
      'x-consumer-custom-id': 'okta|alice',
      'x-credential-identifier': 'okta|alice',
      'x-authenticated-groups': 'admins, users',
      'x-user-email': 'alice@example.com',
      'x-issuer': 'https://idp.example',
    });
    expect(Object.keys(sut).filter((name) => name !== name.toLowerCase())).toEqual([]);
    expect(sut).not.toHaveProperty('x-anonymous-consumer');
  });

  it('strips the identity headers even when no identity is injected, but keeps the client authorization', () => {
    const sut = buildUpstreamHeaders(
      { authorization: 'Basic abc', 'x-consumer-id': 'admin', 'x-authenticated-groups': 'admins', 'x-user-email': 'm@example.com' },
      context({ caller: undefined }),
    );
    expect(sut).toEqual({
      authorization: 'Basic abc',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.com',
    });
  });

  it('sends X-Consumer-* only for a mapped consumer, and only the fields it has', () => {
    const noConsumer = buildUpstreamHeaders({}, context({ caller: callerWith({ consumer: null, groups: [] }) }));
    expect(Object.keys(noConsumer).filter((name) => name.startsWith('x-consumer') || name === 'x-authenticated-groups')).toEqual([]);
    const partial = buildUpstreamHeaders({}, context({ caller: callerWith({ consumer: { id: 'c1', username: null, custom_id: 'cid' } }) }));
    expect(partial['x-consumer-id']).toBe('c1');
    expect(partial).not.toHaveProperty('x-consumer-username');
    expect(partial['x-consumer-custom-id']).toBe('cid');
  });

  it('marks an anonymous consumer as Kong does', () => {
    expect(buildUpstreamHeaders({}, context({ caller: callerWith({ anonymous: true }) }))['x-anonymous-consumer']).toBe('true');
  });

  it('removes hop-by-hop headers and any header the Connection header names', () => {
    const sut = buildUpstreamHeaders(
      {
        connection: 'keep-alive, X-Secret-Hop, close',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        trailer: 'x-checksum',
        'transfer-encoding': 'chunked',
        upgrade: 'websocket',
        'proxy-authorization': 'Basic cHJveHk6cHc=',
        'x-secret-hop': 'for the next hop only',
        expect: '100-continue',
        accept: '*/*',
      },
      context({ caller: undefined }),
    );
    expect(Object.keys(sut).sort()).toEqual(['accept', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);
  });

  it('replaces client forwarding headers with what the BFF saw itself', () => {
    const sut = buildUpstreamHeaders(
      {
        'x-forwarded-for': '10.0.0.1, 10.0.0.2',
        'X-Forwarded-Proto': 'http',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-port': '1',
        'x-forwarded-prefix': '/admin',
        forwarded: 'for=10.0.0.1;host=evil.example',
        'x-real-ip': '10.0.0.1',
      },
      context(),
    );
    expect(Object.entries(sut).filter(([name]) => /forward|real-ip/.test(name))).toEqual([
      ['x-forwarded-for', '203.0.113.7'],
      ['x-forwarded-proto', 'https'],
      ['x-forwarded-host', 'app.example.com'],
    ]);
  });

  it('drops the CSRF header, whatever its case in the configuration or the request', () => {
    expect(buildUpstreamHeaders({ 'x-csrf': '1' }, context({ csrfHeader: 'X-CSRF' }))).not.toHaveProperty('x-csrf');
    expect(buildUpstreamHeaders({ 'X-Csrf': '1' }, context({ csrfHeader: 'x-csrf' }))).not.toHaveProperty('x-csrf');
  });

  it('merges copies of one header that differ only in case', () => {
    expect(buildUpstreamHeaders({ 'X-Trace': 'a', 'x-trace': ['b', 'c'] }, context())['x-trace']).toEqual(['a', 'b', 'c']);
  });

  it('never lets a host header through: undici sets it for the upstream', () => {
    expect(buildUpstreamHeaders({ host: 'app.example.com', Host: 'evil' }, context())).not.toHaveProperty('host');
  });

  it('leaves forwarding fields out when the client address is unknown', () => {
    expect(buildUpstreamHeaders({}, context({ clientIp: '', host: '' }))).toEqual(expect.not.objectContaining({ 'x-forwarded-for': expect.anything() as unknown }));
  });
});

describe('buildUpstreamHeaders cookies', () => {
  function cookieAfter(cookie: string | string[] | undefined, overrides: Partial<UpstreamHeaderContext> = {}): string | string[] | undefined {
    return buildUpstreamHeaders({ cookie } as IncomingHttpHeaders, context(overrides)).cookie;
  }

  it('removes the session cookie and keeps the others in order', () => {
    expect(cookieAfter('theme=dark; __Host-bff-session=s3cr3t; lang=en')).toBe('theme=dark; lang=en');
  });

  it('removes every copy of the session cookie and every login-state cookie', () => {
    expect(cookieAfter('__Host-bff-session=a; x=1; __Host-bff-session=b; __Host-bff-login=l1; __Host-bff-login.abc=l2')).toBe('x=1');
  });

  it('drops the header when nothing else is left', () => {
    expect(cookieAfter('__Host-bff-session=a')).toBeUndefined();
    expect(cookieAfter(' ; __Host-bff-session=a ;; ')).toBeUndefined();
  });

  it('reads names the way lenient servers do: trimmed, without a value, in several headers', () => {
    expect(cookieAfter('  __Host-bff-session =a;flag;  y=2 ')).toBe('flag; y=2');
    expect(cookieAfter(['a=1; __Host-bff-session=x', 'b=2'])).toBe('a=1; b=2');
  });

  it('keeps cookies whose names merely contain or resemble the session cookie', () => {
    expect(cookieAfter('__Host-bff-session2=a; x__Host-bff-session=b; __host-bff-session=c; v=__Host-bff-session')).toBe(
      '__Host-bff-session2=a; x__Host-bff-session=b; __host-bff-session=c; v=__Host-bff-session',
    );
  });

  it('keeps a value that holds = signs', () => {
    expect(cookieAfter('jwt=a.b=c==; __Host-bff-session=s')).toBe('jwt=a.b=c==');
  });

  it('strips only the session cookie when no other names are given', () => {
    expect(cookieAfter('bff-session=a; __Host-bff-login=b', { sessionCookieName: 'bff-session', strippedCookies: undefined })).toBe(
      '__Host-bff-login=b',
    );
  });
});

describe('buildUpstreamHeaders claim headers', () => {
  function claimHeader(claims: Record<string, unknown>, claim = 'value'): string | string[] | undefined {
    const ctx = context({ caller: callerWith({ headerClaims: claims }), claimHeaders: [{ claim, header: 'x-claim' }] });
    return buildUpstreamHeaders({}, ctx)['x-claim'];
  }

  it('turns scalars and arrays into text and skips objects and absent claims', () => {
    expect(claimHeader({ value: 'text' })).toBe('text');
    expect(claimHeader({ value: 42 })).toBe('42');
    expect(claimHeader({ value: false })).toBe('false');
    expect(claimHeader({ value: ['a', 1, true, { x: 1 }, ['nested']] })).toBe('a,1,true');
    expect(claimHeader({ value: { city: 'X' } })).toBeUndefined();
    expect(claimHeader({ value: null })).toBeUndefined();
    expect(claimHeader({ value: [] })).toBeUndefined();
    expect(claimHeader({})).toBeUndefined();
    expect(claimHeader({}, 'toString')).toBeUndefined();
  });

  it('strips CR, LF and other controls so a claim cannot add a header line', () => {
    expect(claimHeader({ value: 'a\r\nX-Consumer-ID: admin\u0000' })).toBe('aX-Consumer-ID: admin');
    expect(claimHeader({ value: ['a\nb', 'c\td'] })).toBe('ab,c\td');
  });

  it('sends non-ASCII text as UTF-8 bytes, so nothing is truncated into a control character', () => {
    // U+010A truncated to Latin-1 would be 0x0A, a line feed.
    const value = String(claimHeader({ value: 'Zoë \u010a 😀' }));
    expect(Buffer.from(value, 'latin1').toString('utf8')).toBe('Zoë \u010a 😀');
    expect(/^[\t\x20-\x7e\x80-\xff]*$/.test(value)).toBe(true);
  });

  it('never lets a claim header stand in for the bearer, the cookie or an identity header', () => {
    const ctx = context({
      claimHeaders: [
        { claim: 'email', header: 'authorization' },
        { claim: 'email', header: 'x-consumer-id' },
        { claim: 'email', header: 'cookie' },
        { claim: 'email', header: 'transfer-encoding' },
      ],
    });
    const sut = buildUpstreamHeaders({ cookie: 'a=1' }, ctx);
    expect(sut).toMatchObject({ authorization: 'Bearer access-token', 'x-consumer-id': identity.consumer!.id });
    expect(sut).not.toHaveProperty('transfer-encoding');
  });
});
