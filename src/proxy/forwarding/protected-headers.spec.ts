import fc from 'fast-check';
import { IDENTITY_HEADERS, identityHeaders } from './identity-headers';
import { canonicalHeaderName, isProtected } from './protected-headers';
import { buildUpstreamHeaders, filterResponseHeaders, type UpstreamHeaderContext } from './upstream-headers';

const context: UpstreamHeaderContext = {
  caller: {
    bearer: 'ours',
    identity: { consumer: { id: 'c1', username: 'alice', custom_id: 'sub-1' }, anonymous: true, credential: 'sub-1', groups: ['users'], headerClaims: { email: 'a@x' } },
  },
  sessionCookieName: 'bff-session',
  csrfHeader: 'X-CSRF',
  claimHeaders: [{ claim: 'email', header: 'x-user-email' }],
  clientIp: '203.0.113.7',
  proto: 'https',
  host: 'app.example.com',
};

const PROTECTED = [
  'authorization', 'x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-consumer-groups', 'x-credential-identifier',
  'x-authenticated-groups', 'x-authenticated-userid', 'x-anonymous-consumer', 'x-forwarded-for', 'x-forwarded-host',
  'x-forwarded-proto', 'x-forwarded-prefix', 'forwarded', 'x-real-ip', 'x-user-email', 'x-request-id', 'x-csrf',
  'x-original-url', 'x-rewrite-url', 'x-override-url', 'x-http-method-override', 'x-http-method', 'x-method-override', 'dpop',
];

/** Every way of writing `name` that canonicalises to it: any case per letter, any `-` written as `_`. */
function spellingOf(name: string): fc.Arbitrary<string> {
  return fc
    .tuple(...[...name].map((char) => (char === '-' ? fc.constantFrom('-', '_') : fc.constantFrom(char.toLowerCase(), char.toUpperCase()))))
    .map((chars) => chars.join(''));
}

describe('protected header names', () => {
  it('reads a name lower-cased with _ as -', () => {
    expect(canonicalHeaderName('X_Consumer_ID')).toBe('x-consumer-id');
    expect(canonicalHeaderName('Content-Type')).toBe('content-type');
  });

  it('lets nothing of a client header that canonicalises to a protected name reach the upstream', () => {
    const marker = 'client-chosen-value';
    fc.assert(
      fc.property(fc.constantFrom(...PROTECTED).chain(spellingOf), (spelling) => {
        const sut = buildUpstreamHeaders({ [spelling]: marker }, context);
        for (const [name, value] of Object.entries(sut)) {
          expect([name, String(value)]).not.toEqual([name, expect.stringContaining(marker)]);
          expect(name).not.toContain('_');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('protects every header the identity builder can set: a new one is listed, or this fails', () => {
    const everything = identityHeaders(context.caller!);
    expect(new Set(Object.keys(everything))).toEqual(new Set(['authorization', ...IDENTITY_HEADERS]));
    for (const name of IDENTITY_HEADERS) expect([name, isProtected(name)]).toEqual([name, true]);
  });

  it('drops every header whose name holds _, protected or not', () => {
    const sut = buildUpstreamHeaders({ x_tenant: 'evil', 'x-tenant': 'good', accept_language: 'x' }, { ...context, caller: undefined });
    expect(sut['x-tenant']).toBe('good');
    expect(Object.keys(sut).some((name) => name.includes('_') || name === 'accept-language')).toBe(false);
  });

  it('reads Connection tokens canonically', () => {
    const sut = buildUpstreamHeaders({ connection: 'X_Hop', 'x-hop': 'gone', accept: 'a' }, context);
    expect(sut['x-hop']).toBeUndefined();
    expect(sut['accept']).toBe('a');
  });

  it('keeps the client Authorization on auth: none routes, but never its spoofed identity headers', () => {
    const sut = buildUpstreamHeaders({ authorization: 'Basic x', 'x-consumer-id': 'evil' }, { ...context, caller: undefined });
    expect(sut['authorization']).toBe('Basic x');
    expect(sut['x-consumer-id']).toBeUndefined();
  });
});

describe('upstream Set-Cookie', () => {
  const own = { sessionCookieName: 'bff-session', prefixes: ['bff-login-', '__Host-bff-login-'] };

  it('drops the lines that would set or clear the BFF’s own cookies and keeps the others', () => {
    const sut = filterResponseHeaders(
      { 'set-cookie': ['bff-session=planted; Path=/', ' BFF-Session =x', 'bff-login-abc=1', '__host-bff-login-z=1', 'theme=dark; Path=/'] },
      own,
    );
    expect(sut['set-cookie']).toEqual(['theme=dark; Path=/']);
    expect(filterResponseHeaders({ 'set-cookie': 'bff-session=x' }, own)).not.toHaveProperty('set-cookie');
  });
});
