import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../common/app.error';
import { decodeJwtPayload, groupsFrom } from '../common/claims';
import type { ConsumerConfig } from '../config/app-config';
import { CONSUMER_CONFIG } from '../config/config.tokens';
import { ConsumerMappingService } from '../consumer/consumer-mapping.service';
import { SessionCache } from '../session/session-cache';
import { SessionResolver, type ResolvedSession } from '../session/session.resolver';
import type { Session } from '../session/session.types';
import { SessionEnded, TokenRefresher } from '../session/token-refresher';
import { CredentialFailureLimiter } from '../throttle/credential-failure-limiter';
import type { AccessFacts } from './access-rules';
import { BearerVerifier } from './bearer-verifier';
import { ClientCredentialsExchange, parseBasicCredentials, credentialsRejectedError } from './client-credentials.exchange';
import { isCredentialFailure } from './failed-credential-memory';
import type { Route, RouteAuth } from './route';
import { TokenCallerCache } from './token-caller-cache';
import type { UpstreamIdentity } from './upstream-headers';
import { audiencesOf, scopesOf, tokenDigest, type VerifiedToken } from './verified-token';

export interface Caller {
  /** A browser with a session cookie, or a client with a token (its own, or one from a client-credentials exchange). */
  kind: 'session' | 'token';
  identity: UpstreamIdentity;
  facts: AccessFacts;
}

/** A caller, and the session it came with (none for token callers). */
export interface AuthenticatedCaller {
  caller: Caller;
  session?: ResolvedSession;
}

type AntiForgery = 'csrf-header' | 'origin';

/**
 * Works out who is calling a proxied route, by the route's `auth` mode: a bearer token, a client-credentials pair
 * (Kong's flow) or the session cookie with its CSRF header — refreshing the session's access token when it is due.
 */
@Injectable()
export class CallerAuthenticator {
  // A verified token's caller (its consumer mapping included) is reused until the token expires or a consumer is
  // deleted, so repeat machine calls need neither verification nor a Postgres round trip.
  private readonly tokenCallers: TokenCallerCache<Caller>;

  constructor(
    private readonly sessions: SessionResolver,
    private readonly refresher: TokenRefresher,
    private readonly verifier: BearerVerifier,
    private readonly clientCredentials: ClientCredentialsExchange,
    private readonly consumers: ConsumerMappingService,
    private readonly failures: CredentialFailureLimiter,
    sessionCache: SessionCache,
    @Inject(CONSUMER_CONFIG) private readonly consumerConfig: ConsumerConfig,
  ) {
    this.tokenCallers = new TokenCallerCache(sessionCache);
  }

  /**
   * The caller when all it takes is already in memory — a bearer token verified before, or a session this instance
   * read a moment ago whose token is not due — so the common request needs no promise; `undefined` means "ask
   * `authenticate`", which also produces every refusal.
   */
  authenticateCached(request: IncomingMessage, route: Route): Caller | undefined {
    const authorization = request.headers.authorization;
    if (authorization) {
      if (!allows(route.auth, 'bearer') || !/^bearer /i.test(authorization)) return undefined;
      return this.tokenCallers.get(tokenDigest(authorization.slice(7).trim()));
    }
    if (!allows(route.auth, 'session') || !this.sessions.hasCsrfHeader(request)) return undefined;
    const resolved = this.sessions.resolveCached(request);
    return resolved && !this.refresher.isDue(resolved.session) ? sessionCaller(resolved.session, route) : undefined;
  }

  /** `clientIp` is whose failed credentials count (RATE_LIMIT_CREDENTIAL_FAILURES). */
  async authenticate(request: IncomingMessage, route: Route, clientIp: string): Promise<Caller> {
    return (await this.authenticateAs(request, route, clientIp, 'csrf-header')).caller;
  }

  /**
   * For a WebSocket handshake: browsers cannot add a header to one, so a session caller proves it comes from the app
   * with `Origin` instead of the CSRF header. Says which session too, so the socket can close when it ends.
   */
  authenticateUpgrade(request: IncomingMessage, route: Route, clientIp: string): Promise<AuthenticatedCaller> {
    return this.authenticateAs(request, route, clientIp, 'origin');
  }

  private async authenticateAs(request: IncomingMessage, route: Route, clientIp: string, antiForgery: AntiForgery): Promise<AuthenticatedCaller> {
    const authorization = request.headers.authorization;
    if (authorization && /^bearer /i.test(authorization) && allows(route.auth, 'bearer')) {
      const token = authorization.slice(7).trim();
      return { caller: await this.countingFailures(clientIp, async () => this.fromToken(token, await this.verifier.verify(token))) };
    }
    if (authorization && /^basic /i.test(authorization) && allows(route.auth, 'client_credentials')) {
      const caller = await this.countingFailures(clientIp, async () => {
        const credentials = parseBasicCredentials(authorization);
        if (!credentials) throw credentialsRejectedError();
        const exchanged = await this.clientCredentials.exchange(credentials.clientId, credentials.clientSecret);
        return this.fromToken(exchanged.accessToken, exchanged.verified);
      });
      return { caller };
    }
    if (allows(route.auth, 'session')) return this.fromSession(request, route, antiForgery);
    throw missingCredentials(route.auth);
  }

  /** A locked-out address is refused before anything is checked; each credential that fails counts against it. */
  private async countingFailures(clientIp: string, attempt: () => Promise<Caller>): Promise<Caller> {
    await this.failures.assertNotLocked(clientIp);
    try {
      return await attempt();
    } catch (error: unknown) {
      if (isCredentialFailure(error)) await this.failures.recordFailure(clientIp);
      throw error;
    }
  }

  private async fromSession(request: IncomingMessage, route: Route, antiForgery: AntiForgery): Promise<AuthenticatedCaller> {
    // No session cookie at all: the caller needs to sign in (401), whatever headers it sent.
    if (!this.sessions.hasSessionCookie(request)) throw this.sessions.failure(request, 'not_authenticated');
    if (antiForgery === 'origin') this.sessions.assertSameOrigin(request);
    else this.sessions.assertCsrfHeader(request);
    const { sessionId, session } = await this.sessions.resolve(request);
    const fresh = await this.refresher.ensureFresh(sessionId, session).catch((error: unknown) => {
      throw error instanceof SessionEnded ? this.sessions.failure(request, error.reason) : error;
    });
    return { caller: sessionCaller(fresh, route), session: { sessionId, session: fresh } };
  }

  private async fromToken(token: string, verified: VerifiedToken): Promise<Caller> {
    const key = tokenDigest(token);
    const cached = this.tokenCallers.get(key);
    if (cached) return cached;
    const since = this.tokenCallers.begin();
    const mapping = await this.consumers.map(verified.claims);
    const groups = groupsFrom(verified.claims, this.consumerConfig);
    const { acr, auth_time: authTime } = verified.claims;
    const caller: Caller = {
      kind: 'token',
      identity: {
        bearer: token,
        consumer: mapping.consumer,
        credential: mapping.credential,
        anonymous: mapping.anonymous,
        groups,
        claims: verified.claims,
      },
      facts: {
        groups,
        scopes: verified.scopes,
        audiences: verified.audiences,
        ...(typeof acr === 'string' ? { acr } : {}),
        ...(typeof authTime === 'number' ? { authTime } : {}),
      },
    };
    this.tokenCallers.set(key, caller, since, verified.expiresAt);
    return caller;
  }
}

function sessionCaller(session: Session, route: Route): Caller {
  const { contents } = session;
  return {
    kind: 'session',
    identity: {
      bearer: route.token === 'id' && contents.idToken ? contents.idToken : contents.accessToken,
      consumer: contents.consumer,
      credential: contents.credential,
      groups: contents.groups,
      claims: contents.headerClaims,
    },
    facts: {
      groups: contents.groups,
      // RFC 6749 §5.1 lets the IdP leave `scope` out of the token response; the access token itself then says.
      scopes: contents.scope?.split(' ') ?? scopesOf(decodeJwtPayload(contents.accessToken)),
      audiences: route.audience ? audiencesOf(decodeJwtPayload(contents.accessToken)) : [],
      acr: contents.acr,
      authTime: contents.authTime,
    },
  };
}

function allows(routeAuth: RouteAuth, mode: 'session' | 'bearer' | 'client_credentials'): boolean {
  return routeAuth === mode || routeAuth === 'any';
}

function missingCredentials(routeAuth: RouteAuth): AppError {
  const scheme = routeAuth === 'client_credentials' ? 'Basic realm="bff"' : 'Bearer';
  return new AppError(401, 'not_authenticated', 'This route needs credentials.', { headers: { 'www-authenticate': scheme } });
}
