import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../common/app.error';
import { SessionGate, type OpenSession } from '../../session/session-gate';
import { CredentialFailureLimiter } from '../../throttle/credential-failure-limiter';
import type { Caller } from '../forwarding/caller';
import type { Route, RouteAuth } from '../forwarding/route';
import { BearerVerifier } from './bearer-verifier';
import { credentialsRejectedError, parseBasicCredentials } from './client-credentials/basic-credentials';
import { ClientCredentialsExchange } from './client-credentials/client-credentials.exchange';
import { isCredentialFailure } from './failed-credential-memory';
import { sessionCaller } from './session-caller';
import { TokenCallers } from './token-callers';

/** A caller, and the session it came with (none for token callers). */
export interface AuthenticatedCaller {
  caller: Caller;
  session?: OpenSession;
}

/**
 * Works out who is calling a proxied route, by the route's `auth` mode: a bearer token, a client-credentials pair
 * (Kong's flow) or the session cookie (SessionGate: CSRF, lookup, refresh).
 */
@Injectable()
export class CallerAuthenticator {
  constructor(
    private readonly sessions: SessionGate,
    private readonly tokens: TokenCallers,
    private readonly verifier: BearerVerifier,
    private readonly clientCredentials: ClientCredentialsExchange,
    private readonly failures: CredentialFailureLimiter,
  ) {}

  /**
   * The caller when all it takes is already in memory — a bearer token verified before, or a session this instance
   * read a moment ago whose token is not due — so the common request needs no promise; `undefined` means "ask
   * `authenticate`", which also produces every refusal.
   */
  authenticateCached(request: IncomingMessage, route: Route): Caller | undefined {
    const authorization = request.headers.authorization;
    if (authorization) {
      if (!allows(route.auth, 'bearer') || !/^bearer /i.test(authorization)) return undefined;
      return this.tokens.cached(authorization.slice(7).trim());
    }
    if (!allows(route.auth, 'session')) return undefined;
    const open = this.sessions.enterCached(request);
    return open && sessionCaller(open.session, route);
  }

  /** `clientIp` is whose failed credentials count (RATE_LIMIT_CREDENTIAL_FAILURES). */
  async authenticate(request: IncomingMessage, route: Route, clientIp: string): Promise<Caller> {
    return (await this.authenticateAs(request, route, clientIp, false)).caller;
  }

  /**
   * For a WebSocket handshake: browsers cannot add a header to one, so a session caller proves it comes from the app
   * with `Origin` instead of the CSRF header. Says which session too, so the socket can close when it ends.
   */
  authenticateUpgrade(request: IncomingMessage, route: Route, clientIp: string): Promise<AuthenticatedCaller> {
    return this.authenticateAs(request, route, clientIp, true);
  }

  private async authenticateAs(request: IncomingMessage, route: Route, clientIp: string, upgrade: boolean): Promise<AuthenticatedCaller> {
    const authorization = request.headers.authorization;
    if (authorization && /^bearer /i.test(authorization) && allows(route.auth, 'bearer')) {
      const token = authorization.slice(7).trim();
      return { caller: await this.countingFailures(clientIp, async () => this.tokens.of(token, await this.verifier.verify(token))) };
    }
    if (authorization && /^basic /i.test(authorization) && allows(route.auth, 'client_credentials')) {
      const caller = await this.countingFailures(clientIp, async () => {
        const credentials = parseBasicCredentials(authorization);
        if (!credentials) throw credentialsRejectedError();
        const exchanged = await this.clientCredentials.exchange(credentials.clientId, credentials.clientSecret);
        return this.tokens.of(exchanged.accessToken, exchanged.verified);
      });
      return { caller };
    }
    if (allows(route.auth, 'session')) {
      const session = await this.sessions.enter(request, { antiForgery: upgrade ? 'origin' : 'csrf-header', refresh: true });
      return { caller: sessionCaller(session.session, route), session };
    }
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
}

function allows(routeAuth: RouteAuth, mode: 'session' | 'bearer' | 'client_credentials'): boolean {
  return routeAuth === mode || routeAuth === 'any';
}

function missingCredentials(routeAuth: RouteAuth): AppError {
  const scheme = routeAuth === 'client_credentials' ? 'Basic realm="bff"' : 'Bearer';
  return new AppError(401, 'not_authenticated', 'This route needs credentials.', { headers: { 'www-authenticate': scheme } });
}
