import fc from 'fast-check';
import type { IncomingMessage } from 'node:http';
import { identityWith } from '../../../test/support/caller-identity';
import { routeFor } from '../../../test/support/routes';
import { AppError, ServiceUnavailableError } from '../../common/app.error';
import type { HttpConfig, SessionConfig } from '../../config/app-config';
import { SessionCookie } from '../../session/session-cookie';
import { SessionGate } from '../../session/session-gate';
import type { SessionStore } from '../../session/session.store';
import type { Session, SessionLookup } from '../../session/session.types';
import type { TokenRefresher } from '../../session/token-refresher';
import type { CredentialFailureLimiter } from '../../throttle/credential-failure-limiter';
import type { TokenCaller } from '../forwarding/caller';
import { ROUTE_AUTH_MODES, ROUTE_DPOP_MODES, type RouteAuth } from '../forwarding/route';
import type { BearerVerifier } from './bearer-verifier';
import { CallerAuthenticator, type CallerAntiForgery } from './caller-authenticator';
import { credentialsRejectedError } from './client-credentials/basic-credentials';
import { DpopGate } from './dpop/dpop-gate';
import type { DpopReplayGuard } from './dpop/dpop-replay';
import type { ClientCredentialsExchange, ExchangedToken } from './client-credentials/client-credentials.exchange';
import type { TokenCallers } from './token-callers';
import { invalidTokenError, type VerifiedToken } from './verified-token';

const ORIGIN = 'https://app.example.com';
const LIVE_SESSION = 'l'.repeat(43);
const ENDED_SESSION = 'e'.repeat(43);
const sessionConfig = { cookieName: 'bff-session', cookieSecure: true, absoluteTimeoutSeconds: 28_800, csrfHeader: 'x-csrf' } as SessionConfig;

const verified: VerifiedToken = { claims: { sub: 'svc' }, scopes: ['read'], audiences: ['api'], expiresAt: Date.now() + 60_000 };
const session: Session = {
  keyHash: 'hash',
  version: 1,
  absoluteExpiresAt: Date.now() + 3_600_000,
  idleExpiresAt: Date.now() + 1_800_000,
  contents: {
    accessToken: 'access-token',
    idToken: 'id-token',
    accessTokenExpiresAt: Date.now() + 300_000,
    scope: 'openid orders',
    sub: 'alice',
    identity: identityWith({ groups: ['staff'], scopes: ['openid', 'orders'], audiences: ['orders-api'], acr: 'urn:loa:2' }),
  },
};

/** What this instance holds in memory, what the IdP and Redis would say, and how many times anything was asked. */
interface World {
  inMemory: { verified: boolean; callers: boolean; exchanged: boolean; session: boolean };
  due: boolean;
  locked: boolean;
  io: number;
}

const goodToken = (token: string) => token.startsWith('good');
/** Tokens named `…bound…` carry `cnf.jkt`. */
const boundKeyOf = (token: string) => (token.includes('bound') ? { boundKey: 'thumbprint' } : {});
const goodPair = (clientId: string, secret: string) => clientId === 'svc' && secret === 'good';
const callers = new Map<string, TokenCaller>();
const callerOf = (token: string): TokenCaller => {
  const known = callers.get(token) ?? { kind: 'token', identity: identityWith({ scopes: ['read'] }), bearer: token, expiresAt: verified.expiresAt, ...boundKeyOf(token) };
  callers.set(token, known);
  return known;
};
const exchanged: ExchangedToken = { accessToken: 'good-exchanged', expiresAt: verified.expiresAt, verified };

/** Every collaborator below the rules under test, in memory; each answer that would cost I/O is counted. */
function setUp(world: World = { inMemory: { verified: false, callers: false, exchanged: false, session: false }, due: false, locked: false, io: 0 }) {
  const asked = <T>(answer: () => T): T => {
    world.io += 1;
    return answer();
  };
  const tokens = {
    cached: jest.fn((token: string) => (world.inMemory.callers && goodToken(token) ? callerOf(token) : undefined)),
    of: jest.fn((token: string) => Promise.resolve(world.inMemory.callers ? callerOf(token) : asked(() => callerOf(token)))),
  };
  const verifier = {
    cached: jest.fn((token: string) => (world.inMemory.verified && goodToken(token) ? { ...verified, ...boundKeyOf(token) } : undefined)),
    verify: jest.fn((token: string) => asked(() => (goodToken(token) ? Promise.resolve({ ...verified, ...boundKeyOf(token) }) : Promise.reject(invalidTokenError())))),
  };
  const exchange = {
    cached: jest.fn((clientId: string, secret: string) => (world.inMemory.exchanged && goodPair(clientId, secret) ? exchanged : undefined)),
    exchange: jest.fn((clientId: string, secret: string) => asked(() => (goodPair(clientId, secret) ? Promise.resolve(exchanged) : Promise.reject(credentialsRejectedError())))),
  };
  const failures = {
    assertNotLocked: jest.fn(() => asked(() => (world.locked ? Promise.reject(new AppError(429, 'too_many_requests', 'Slow down.')) : Promise.resolve()))),
    recordFailure: jest.fn(() => asked(() => Promise.resolve())),
  };
  const store = {
    cachedSession: jest.fn((id: string) => (world.inMemory.session && id === LIVE_SESSION ? session : undefined)),
    lookupCached: jest.fn((id: string): Promise<SessionLookup> => {
      const lookup = (): SessionLookup => (id === LIVE_SESSION ? { status: 'active', session } : { status: 'ended', reason: 'session_revoked' });
      return Promise.resolve(world.inMemory.session && id === LIVE_SESSION ? lookup() : asked(lookup));
    }),
  };
  const refresher = {
    isDue: jest.fn(() => world.due),
    ensureFresh: jest.fn((_id: string, current: Session) =>
      Promise.resolve(world.due ? asked(() => ({ ...current, contents: { ...current.contents, accessToken: 'refreshed' } })) : current),
    ),
  };
  const replay = { firstUse: jest.fn(() => asked(() => Promise.resolve(true))) };
  const dpop = new DpopGate(replay as unknown as DpopReplayGuard, { publicUrl: ORIGIN } as HttpConfig);
  const gate = new SessionGate(store as unknown as SessionStore, refresher as unknown as TokenRefresher, new SessionCookie(sessionConfig), { publicUrl: ORIGIN } as HttpConfig, sessionConfig);
  const sut = new CallerAuthenticator(
    gate,
    tokens as unknown as TokenCallers,
    verifier as unknown as BearerVerifier,
    exchange as unknown as ClientCredentialsExchange,
    failures as unknown as CredentialFailureLimiter,
    dpop,
  );
  return { sut, world, tokens, verifier, exchange, failures, store, refresher };
}

const request = (headers: Record<string, string | undefined> = {}) =>
  ({ headers, rawHeaders: Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [name, value])) }) as unknown as IncomingMessage;
const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;
const on = (auth: RouteAuth) => routeFor('/api', { auth });
const sessionRequest = (headers: Record<string, string> = {}) => request({ cookie: `bff-session=${LIVE_SESSION}`, 'x-csrf': '1', ...headers });

describe('CallerAuthenticator.authenticate', () => {
  it('verifies a bearer token and maps its caller', async () => {
    const { sut, verifier, tokens } = setUp();
    await expect(sut.authenticate(request({ authorization: 'Bearer good-1' }), on('bearer'), '10.0.0.1')).resolves.toBe(callerOf('good-1'));
    expect(verifier.verify).toHaveBeenCalledWith('good-1');
    expect(tokens.of).toHaveBeenCalledWith('good-1', verified);
  });

  it('exchanges client credentials for a token and maps the exchanged token', async () => {
    const { sut, exchange, tokens } = setUp();
    await sut.authenticate(request({ authorization: basic('svc:good') }), on('client_credentials'), '10.0.0.1');
    expect(exchange.exchange).toHaveBeenCalledWith('svc', 'good');
    expect(tokens.of).toHaveBeenCalledWith('good-exchanged', verified);
  });

  it('refuses malformed Basic credentials with 401 invalid_client and counts the failure', async () => {
    const { sut, exchange, failures } = setUp();
    await expect(sut.authenticate(request({ authorization: basic('no-colon') }), on('client_credentials'), '10.0.0.1')).rejects.toMatchObject({
      status: 401,
      code: 'invalid_client',
    });
    expect(exchange.exchange).not.toHaveBeenCalled();
    expect(failures.recordFailure).toHaveBeenCalledWith('10.0.0.1');
  });

  it('refuses a locked-out address before looking at a token or a pair it never used successfully', async () => {
    const { sut, world, verifier, exchange } = setUp();
    world.locked = true;
    await expect(sut.authenticate(request({ authorization: 'Bearer good-1' }), on('any'), '10.0.0.1')).rejects.toMatchObject({ status: 429 });
    await expect(sut.authenticate(request({ authorization: basic('svc:good') }), on('any'), '10.0.0.1')).rejects.toMatchObject({ status: 429 });
    expect(verifier.verify).not.toHaveBeenCalled();
    expect(exchange.exchange).not.toHaveBeenCalled();
  });

  it('lets a locked-out address keep a token verified before and a pair whose token is held, asking nobody', async () => {
    const { sut, world, failures, verifier, exchange } = setUp();
    Object.assign(world, { locked: true, inMemory: { verified: true, callers: false, exchanged: true, session: false } });
    await expect(sut.authenticate(request({ authorization: 'Bearer good-1' }), on('any'), '10.0.0.1')).resolves.toBe(callerOf('good-1'));
    await expect(sut.authenticate(request({ authorization: basic('svc:good') }), on('any'), '10.0.0.1')).resolves.toBe(callerOf('good-exchanged'));
    expect(failures.assertNotLocked).not.toHaveBeenCalled();
    expect(verifier.verify).not.toHaveBeenCalled();
    expect(exchange.exchange).not.toHaveBeenCalled();
  });

  it('counts a rejected token against the address, but not an IdP outage', async () => {
    const { sut, verifier, failures } = setUp();
    await expect(sut.authenticate(request({ authorization: 'Bearer bad' }), on('bearer'), '10.0.0.1')).rejects.toMatchObject({ status: 401 });
    verifier.verify.mockRejectedValueOnce(new ServiceUnavailableError('idp'));
    await expect(sut.authenticate(request({ authorization: 'Bearer good-2' }), on('bearer'), '10.0.0.1')).rejects.toMatchObject({ status: 503 });
    expect(failures.recordFailure).toHaveBeenCalledTimes(1);
  });

  it('takes a session route\'s caller from the session, whatever Authorization says, with its stored identity', async () => {
    const { sut, verifier } = setUp();
    const caller = await sut.authenticate(sessionRequest({ authorization: 'Bearer good-1' }), on('session'), '10.0.0.1');
    expect(verifier.verify).not.toHaveBeenCalled();
    expect(caller).toEqual({ kind: 'session', identity: session.contents.identity, bearer: 'access-token', session: { sessionId: LIVE_SESSION, session } });
  });

  it('forwards the ID token on a route with token: id', async () => {
    const { sut } = setUp();
    const caller = await sut.authenticate(sessionRequest(), routeFor('/api', { auth: 'session', token: 'id' }), '10.0.0.1');
    expect(caller.bearer).toBe('id-token');
  });

  it('checks Origin instead of the CSRF header for a WebSocket handshake', async () => {
    const { sut } = setUp();
    await expect(sut.authenticate(request({ cookie: `bff-session=${LIVE_SESSION}`, origin: ORIGIN }), on('session'), '10.0.0.1', 'origin')).resolves.toMatchObject({
      kind: 'session',
    });
    await expect(sut.authenticate(sessionRequest({ origin: 'https://evil.example' }), on('session'), '10.0.0.1', 'origin')).rejects.toMatchObject({
      status: 403,
      code: 'origin_mismatch',
    });
  });

  it.each([
    ['bearer', 'Bearer'],
    ['client_credentials', 'Basic realm="bff"'],
  ] as const)('answers a %s route without credentials 401 with WWW-Authenticate: %s', async (auth, scheme) => {
    const { sut } = setUp();
    await expect(sut.authenticate(request(), on(auth), '10.0.0.1')).rejects.toMatchObject({
      status: 401,
      code: 'not_authenticated',
      options: { headers: { 'www-authenticate': scheme } },
    });
  });
});

describe('CallerAuthenticator.authenticateCached', () => {
  it('returns a token caller seen before, a Basic pair whose token is held, and a session read a moment ago', () => {
    const { sut, world, verifier } = setUp();
    world.inMemory = { verified: true, callers: true, exchanged: true, session: true };
    expect(sut.authenticateCached(request({ authorization: 'bearer  good-1 ' }), on('bearer'))).toBe(callerOf('good-1'));
    expect(sut.authenticateCached(request({ authorization: basic('svc:good') }), on('any'))).toBe(callerOf('good-exchanged'));
    expect(sut.authenticateCached(sessionRequest(), on('session'))).toMatchObject({ kind: 'session', identity: { scopes: ['openid', 'orders'] } });
    expect(verifier.verify).not.toHaveBeenCalled();
  });

  it('leaves what is not in memory, and modes the route does not take, to authenticate', () => {
    const { sut, world } = setUp();
    expect(sut.authenticateCached(request({ authorization: 'Bearer good-1' }), on('bearer'))).toBeUndefined();
    world.inMemory = { verified: true, callers: true, exchanged: true, session: false };
    expect(sut.authenticateCached(request({ authorization: 'Bearer good-1' }), on('session'))).toBeUndefined();
    expect(sut.authenticateCached(request(), on('bearer'))).toBeUndefined();
  });
});

describe('CallerAuthenticator with DPoP routes', () => {
  it('never serves a DPoP-bound token from memory: each request needs its proof', async () => {
    const { sut, world, tokens } = setUp();
    world.inMemory = { verified: true, callers: true, exchanged: false, session: false };
    const route = routeFor('/api', { auth: 'bearer', dpop: 'optional' });
    expect(sut.authenticateCached(request({ authorization: 'Bearer good-1' }), route)).toBe(callerOf('good-1'));
    expect(sut.authenticateCached(request({ authorization: 'DPoP good-bound' }), route)).toBeUndefined();
    await expect(sut.authenticate(request({ authorization: 'DPoP good-bound' }), route, '10.0.0.1')).rejects.toMatchObject({ status: 401, code: 'invalid_dpop_proof' });
    expect(tokens.of).not.toHaveBeenCalled();
  });

  it('refuses a bound token sent as Bearer, and counts it as a failed credential', async () => {
    const { sut, failures } = setUp();
    await expect(sut.authenticate(request({ authorization: 'Bearer good-bound' }), routeFor('/api', { auth: 'bearer', dpop: 'optional' }), '10.0.0.1')).rejects.toMatchObject({
      status: 401,
      code: 'invalid_token',
      options: { headers: { 'www-authenticate': expect.stringMatching(/^DPoP error="invalid_token"/) as unknown } },
    });
    expect(failures.recordFailure).toHaveBeenCalledWith('10.0.0.1');
  });

  it.each([
    ['DPoP', 'off'],
    ['Bearer', 'required'],
  ] as const)('refuses the %s scheme on a dpop: %s route without asking the IdP about the token', async (scheme, dpop) => {
    const { sut, verifier, failures } = setUp();
    await expect(sut.authenticate(request({ authorization: `${scheme} good-bound` }), routeFor('/api', { auth: 'bearer', dpop }), '10.0.0.1')).rejects.toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
    expect(verifier.verify).not.toHaveBeenCalled();
    expect(failures.recordFailure).toHaveBeenCalledTimes(1);
  });

  it('challenges a refused token in the scheme it came with', async () => {
    const { sut } = setUp();
    await expect(sut.authenticate(request({ authorization: 'DPoP bad' }), routeFor('/api', { auth: 'bearer', dpop: 'required' }), '10.0.0.1')).rejects.toMatchObject({
      options: { headers: { 'www-authenticate': expect.stringMatching(/^DPoP error="invalid_token", algs="/) as unknown } },
    });
  });

  it.each([
    ['off', 'Bearer'],
    ['optional', 'Bearer, DPoP algs="ES256'],
    ['required', 'DPoP algs="ES256'],
  ] as const)('offers a %s route\'s schemes to a caller without credentials', async (dpop, challenge) => {
    const { sut } = setUp();
    await expect(sut.authenticate(request(), routeFor('/api', { auth: 'bearer', dpop }), '10.0.0.1')).rejects.toMatchObject({
      options: { headers: { 'www-authenticate': expect.stringContaining(challenge) as unknown } },
    });
  });
});

describe('the cached and the uncached path', () => {
  const authorization = fc.oneof(
    fc.constant(undefined),
    fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'DPoP', 'dpop'), fc.constantFrom(' ', '  '), fc.constantFrom('good-1', 'good-2', 'good-bound', 'bad', '')).map((parts) => parts.join('')),
    fc.tuple(fc.constantFrom('svc', 'other'), fc.constantFrom('good', 'wrong')).map(([id, secret]) => basic(`${id}:${secret}`)),
    fc.constantFrom('Basic !!!', basic('no-colon'), 'Digest x', 'Bearer', ''),
  );
  const cookie = fc.constantFrom(undefined, `bff-session=${LIVE_SESSION}`, `a=1; bff-session=${ENDED_SESSION}`, 'bff-session=garbage', 'other=1');
  const world = fc.record({
    inMemory: fc.record({ verified: fc.boolean(), callers: fc.boolean(), exchanged: fc.boolean(), session: fc.boolean() }),
    due: fc.boolean(),
    locked: fc.boolean(),
    io: fc.constant(0),
  });
  const anyRequest = fc.record({
    authorization,
    cookie,
    'x-csrf': fc.constantFrom(undefined, '1', '0', ''),
    origin: fc.constantFrom(undefined, ORIGIN, 'https://evil.example'),
  });

  it('decide alike for any request, route and memory: the cached one answers exactly when no I/O is needed, and the same', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyRequest,
        fc.constantFrom(...ROUTE_AUTH_MODES.filter((mode) => mode !== 'none')),
        fc.constantFrom(...ROUTE_DPOP_MODES),
        fc.constantFrom<CallerAntiForgery>('csrf-header', 'origin'),
        world,
        async (headers, auth, dpop, antiForgery, state) => {
          const { sut, world: counted } = setUp(state);
          const route = routeFor('/api', { auth, dpop });
          const cached = sut.authenticateCached(request(headers), route, antiForgery);
          expect(counted.io).toBe(0);
          const uncached = await sut.authenticate(request(headers), route, '10.0.0.1', antiForgery).then(
            (caller) => ({ caller }),
            (error: unknown) => ({ error }),
          );
          if ('error' in uncached) expect(uncached.error).toBeInstanceOf(AppError);
          if (cached !== undefined) expect(uncached).toEqual({ caller: cached });
          if ('caller' in uncached && counted.io === 0) expect(cached).toEqual(uncached.caller);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
