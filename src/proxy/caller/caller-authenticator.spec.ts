import fc from 'fast-check';
import { routeFor } from '../../../test/support/routes';
import { AppError, ServiceUnavailableError } from '../../common/app.error';
import { ROUTE_AUTH_MODES, ROUTE_DPOP_MODES } from '../forwarding/route';
import type { CallerAntiForgery } from './caller-authenticator';
import { ENDED_SESSION, LIVE_SESSION, ORIGIN, basic, callerOf, on, request, session, sessionRequest, setUp, verified } from '../../../test/support/caller-authenticator-fixture';

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
