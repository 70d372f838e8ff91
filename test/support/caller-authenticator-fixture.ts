import type { IncomingMessage } from 'node:http';
import { identityWith } from './caller-identity';
import { routeFor } from './routes';
import { AppError } from '../../src/common/app.error';
import type { HttpConfig, SessionConfig } from '../../src/config/app-config';
import { SessionCookie } from '../../src/session/session-cookie';
import { SessionGate } from '../../src/session/session-gate';
import type { SessionStore } from '../../src/session/session.store';
import type { Session, SessionLookup } from '../../src/session/session.types';
import type { TokenRefresher } from '../../src/session/token-refresher';
import type { CredentialFailureLimiter } from '../../src/throttle/credential-failure-limiter';
import type { TokenCaller } from '../../src/proxy/forwarding/caller';
import type { RouteAuth } from '../../src/proxy/forwarding/route';
import type { BearerVerifier } from '../../src/proxy/caller/bearer-verifier';
import { CallerAuthenticator } from '../../src/proxy/caller/caller-authenticator';
import { credentialsRejectedError } from '../../src/proxy/caller/client-credentials/basic-credentials';
import { DpopGate } from '../../src/proxy/caller/dpop/dpop-gate';
import type { DpopReplayGuard } from '../../src/proxy/caller/dpop/dpop-replay';
import type { ClientCredentialsExchange, ExchangedToken } from '../../src/proxy/caller/client-credentials/client-credentials.exchange';
import type { TokenCallers } from '../../src/proxy/caller/token-callers';
import { invalidTokenError, type VerifiedToken } from '../../src/proxy/caller/verified-token';

/** The CallerAuthenticator specs' world: every collaborator below the rules under test, in memory, each answer that would cost I/O counted. */
export const ORIGIN = 'https://app.example.com';
export const LIVE_SESSION = 'l'.repeat(43);
export const ENDED_SESSION = 'e'.repeat(43);
export const sessionConfig = { cookieName: 'bff-session', cookieSecure: true, absoluteTimeoutSeconds: 28_800, csrfHeader: 'x-csrf' } as SessionConfig;

export const verified: VerifiedToken = { claims: { sub: 'svc' }, scopes: ['read'], audiences: ['api'], expiresAt: Date.now() + 60_000 };
export const session: Session = {
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
export interface World {
  inMemory: { verified: boolean; callers: boolean; exchanged: boolean; session: boolean };
  due: boolean;
  locked: boolean;
  io: number;
}

export const goodToken = (token: string) => token.startsWith('good');
/** Tokens named `…bound…` carry `cnf.jkt`. */
export const boundKeyOf = (token: string) => (token.includes('bound') ? { boundKey: 'thumbprint' } : {});
export const goodPair = (clientId: string, secret: string) => clientId === 'svc' && secret === 'good';
export const callers = new Map<string, TokenCaller>();
export const callerOf = (token: string): TokenCaller => {
  const known = callers.get(token) ?? { kind: 'token', identity: identityWith({ scopes: ['read'] }), bearer: token, expiresAt: verified.expiresAt, ...boundKeyOf(token) };
  callers.set(token, known);
  return known;
};
export const exchanged: ExchangedToken = { accessToken: 'good-exchanged', expiresAt: verified.expiresAt, verified };

/** Every collaborator below the rules under test, in memory; each answer that would cost I/O is counted. */
export function setUp(world: World = { inMemory: { verified: false, callers: false, exchanged: false, session: false }, due: false, locked: false, io: 0 }) {
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

export const request = (headers: Record<string, string | undefined> = {}) =>
  ({ headers, rawHeaders: Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [name, value])) }) as unknown as IncomingMessage;
export const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;
export const on = (auth: RouteAuth) => routeFor('/api', { auth });
export const sessionRequest = (headers: Record<string, string> = {}) => request({ cookie: `bff-session=${LIVE_SESSION}`, 'x-csrf': '1', ...headers });
