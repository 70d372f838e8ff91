import type { IncomingMessage } from 'node:http';
import { routeFor } from '../../../test/support/routes';
import { AppError, ServiceUnavailableError } from '../../common/app.error';
import type { OpenSession, SessionGate } from '../../session/session-gate';
import type { Session } from '../../session/session.types';
import type { CredentialFailureLimiter } from '../../throttle/credential-failure-limiter';
import type { Caller } from '../forwarding/caller';
import type { RouteAuth } from '../forwarding/route';
import type { BearerVerifier } from './bearer-verifier';
import { CallerAuthenticator } from './caller-authenticator';
import type { ClientCredentialsExchange } from './client-credentials/client-credentials.exchange';
import type { TokenCallers } from './token-callers';
import { invalidTokenError, type VerifiedToken } from './verified-token';

const verified: VerifiedToken = { claims: { sub: 'svc' }, scopes: ['read'], audiences: ['api'], expiresAt: Date.now() + 60_000 };
const tokenCaller: Caller = { kind: 'token', identity: { bearer: 'tok', consumer: null, groups: [], claims: {} }, facts: { groups: [], scopes: ['read'], audiences: [] } };

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
    scopes: ['openid', 'orders'],
    audiences: ['orders-api'],
    sub: 'alice',
    groups: ['staff'],
    consumer: null,
    headerClaims: {},
    acr: 'urn:loa:2',
  },
};
const open: OpenSession = { sessionId: 'sid', session };

function setUp() {
  const gate = { enter: jest.fn(() => Promise.resolve(open)), enterCached: jest.fn((): OpenSession | undefined => undefined) };
  const tokens = { cached: jest.fn((): Caller | undefined => undefined), of: jest.fn(() => Promise.resolve(tokenCaller)) };
  const verifier = { verify: jest.fn(() => Promise.resolve(verified)) };
  const exchange = { exchange: jest.fn(() => Promise.resolve({ accessToken: 'exchanged', expiresAt: verified.expiresAt, verified })) };
  const failures = { assertNotLocked: jest.fn(() => Promise.resolve()), recordFailure: jest.fn(() => Promise.resolve()) };
  const sut = new CallerAuthenticator(
    gate as unknown as SessionGate,
    tokens as unknown as TokenCallers,
    verifier as unknown as BearerVerifier,
    exchange as unknown as ClientCredentialsExchange,
    failures as unknown as CredentialFailureLimiter,
  );
  return { sut, gate, tokens, verifier, exchange, failures };
}

const request = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;
const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;
const on = (auth: RouteAuth) => routeFor('/api', { auth });

describe('CallerAuthenticator.authenticate', () => {
  it('verifies a bearer token and maps its caller', async () => {
    const { sut, verifier, tokens, gate } = setUp();
    await expect(sut.authenticate(request({ authorization: 'Bearer tok' }), on('bearer'), '10.0.0.1')).resolves.toBe(tokenCaller);
    expect(verifier.verify).toHaveBeenCalledWith('tok');
    expect(tokens.of).toHaveBeenCalledWith('tok', verified);
    expect(gate.enter).not.toHaveBeenCalled();
  });

  it('exchanges client credentials for a token and maps the exchanged token', async () => {
    const { sut, exchange, tokens } = setUp();
    await sut.authenticate(request({ authorization: basic('svc:secret') }), on('client_credentials'), '10.0.0.1');
    expect(exchange.exchange).toHaveBeenCalledWith('svc', 'secret');
    expect(tokens.of).toHaveBeenCalledWith('exchanged', verified);
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

  it('refuses a locked-out address before looking at its token', async () => {
    const { sut, verifier, failures } = setUp();
    failures.assertNotLocked.mockRejectedValue(new AppError(429, 'too_many_requests', 'Slow down.'));
    await expect(sut.authenticate(request({ authorization: 'Bearer tok' }), on('any'), '10.0.0.1')).rejects.toMatchObject({ status: 429 });
    expect(verifier.verify).not.toHaveBeenCalled();
  });

  it('counts a rejected token against the address, but not an IdP outage', async () => {
    const { sut, verifier, failures } = setUp();
    verifier.verify.mockRejectedValueOnce(invalidTokenError());
    await expect(sut.authenticate(request({ authorization: 'Bearer bad' }), on('bearer'), '10.0.0.1')).rejects.toMatchObject({ status: 401 });
    verifier.verify.mockRejectedValueOnce(new ServiceUnavailableError('idp'));
    await expect(sut.authenticate(request({ authorization: 'Bearer tok' }), on('bearer'), '10.0.0.1')).rejects.toMatchObject({ status: 503 });
    expect(failures.recordFailure).toHaveBeenCalledTimes(1);
  });

  it('takes a session route\'s caller from the session gate, with the CSRF header and a refresh', async () => {
    const { sut, gate, verifier } = setUp();
    const caller = await sut.authenticate(request({ authorization: 'Bearer tok' }), on('session'), '10.0.0.1');
    expect(verifier.verify).not.toHaveBeenCalled();
    expect(gate.enter).toHaveBeenCalledWith(expect.anything(), { antiForgery: 'csrf-header', refresh: true });
    expect(caller).toMatchObject({ kind: 'session', identity: { bearer: 'access-token', groups: ['staff'] } });
    expect(caller.facts).toEqual({ groups: ['staff'], scopes: ['openid', 'orders'], audiences: ['orders-api'], acr: 'urn:loa:2', authTime: undefined });
  });

  it('forwards the ID token on a route with token: id', async () => {
    const { sut } = setUp();
    const caller = await sut.authenticate(request(), routeFor('/api', { auth: 'session', token: 'id' }), '10.0.0.1');
    expect(caller.identity.bearer).toBe('id-token');
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

describe('CallerAuthenticator.authenticateUpgrade', () => {
  it('asks the gate to check Origin instead of the CSRF header, and says which session it was', async () => {
    const { sut, gate } = setUp();
    const authenticated = await sut.authenticateUpgrade(request(), on('session'), '10.0.0.1');
    expect(gate.enter).toHaveBeenCalledWith(expect.anything(), { antiForgery: 'origin', refresh: true });
    expect(authenticated.session).toBe(open);
  });

  it('has no session for a token caller', async () => {
    const { sut } = setUp();
    await expect(sut.authenticateUpgrade(request({ authorization: 'Bearer tok' }), on('any'), '10.0.0.1')).resolves.toEqual({ caller: tokenCaller });
  });
});

describe('CallerAuthenticator.authenticateCached', () => {
  it('returns a token caller seen before, without verifying', () => {
    const { sut, tokens, verifier } = setUp();
    tokens.cached.mockReturnValue(tokenCaller);
    expect(sut.authenticateCached(request({ authorization: 'bearer  tok ' }), on('bearer'))).toBe(tokenCaller);
    expect(tokens.cached).toHaveBeenCalledWith('tok');
    expect(verifier.verify).not.toHaveBeenCalled();
  });

  it('leaves Basic credentials, and modes the route does not allow, to authenticate', () => {
    const { sut, tokens, gate } = setUp();
    tokens.cached.mockReturnValue(tokenCaller);
    gate.enterCached.mockReturnValue(open);
    expect(sut.authenticateCached(request({ authorization: basic('svc:secret') }), on('any'))).toBeUndefined();
    expect(sut.authenticateCached(request({ authorization: 'Bearer tok' }), on('session'))).toBeUndefined();
    expect(sut.authenticateCached(request(), on('bearer'))).toBeUndefined();
  });

  it('builds a session caller from the gate\'s cached session, and nothing when the gate has none', () => {
    const { sut, gate } = setUp();
    expect(sut.authenticateCached(request(), on('session'))).toBeUndefined();
    gate.enterCached.mockReturnValue(open);
    expect(sut.authenticateCached(request(), on('session'))).toMatchObject({ kind: 'session', facts: { scopes: ['openid', 'orders'] } });
  });
});
