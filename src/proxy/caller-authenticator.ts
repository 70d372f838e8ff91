import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../common/app.error';
import { decodeJwtPayload, groupsFrom } from '../common/claims';
import type { ConsumerConfig } from '../config/app-config';
import { CONSUMER_CONFIG } from '../config/config.tokens';
import { ConsumerMappingService, type ConsumerMapping } from '../consumer/consumer-mapping.service';
import { SessionResolver } from '../session/session.resolver';
import { SessionEnded, TokenRefresher } from '../session/token-refresher';
import type { AccessFacts } from './access-rules';
import { BearerVerifier } from './bearer-verifier';
import { BoundedCache } from './bounded-cache';
import { ClientCredentialsExchange, parseBasicCredentials, credentialsRejectedError } from './client-credentials.exchange';
import type { Route, RouteAuth } from './route';
import type { UpstreamIdentity } from './upstream-headers';
import { audiencesOf, tokenDigest, type VerifiedToken } from './verified-token';

export interface Caller {
  identity: UpstreamIdentity;
  facts: AccessFacts;
}

const MAX_CACHED_MAPPINGS = 10_000;

/**
 * Works out who is calling a proxied route, by the route's `auth` mode: a bearer token, a client-credentials pair
 * (Kong's flow) or the session cookie with its CSRF header — refreshing the session's access token when it is due.
 */
@Injectable()
export class CallerAuthenticator {
  // A token's consumer mapping is reused until the token expires, so machine calls need no Postgres round trip.
  private readonly mappings = new BoundedCache<ConsumerMapping>(MAX_CACHED_MAPPINGS);

  constructor(
    private readonly sessions: SessionResolver,
    private readonly refresher: TokenRefresher,
    private readonly verifier: BearerVerifier,
    private readonly clientCredentials: ClientCredentialsExchange,
    private readonly consumers: ConsumerMappingService,
    @Inject(CONSUMER_CONFIG) private readonly consumerConfig: ConsumerConfig,
  ) {}

  async authenticate(request: IncomingMessage, route: Route): Promise<Caller> {
    const authorization = request.headers.authorization;
    if (authorization && /^bearer /i.test(authorization) && allows(route.auth, 'bearer')) {
      const token = authorization.slice(7).trim();
      return this.fromToken(token, await this.verifier.verify(token));
    }
    if (authorization && /^basic /i.test(authorization) && allows(route.auth, 'client_credentials')) {
      const credentials = parseBasicCredentials(authorization);
      if (!credentials) throw credentialsRejectedError();
      const exchanged = await this.clientCredentials.exchange(credentials.clientId, credentials.clientSecret);
      return this.fromToken(exchanged.accessToken, exchanged.verified);
    }
    if (allows(route.auth, 'session')) return this.fromSession(request, route);
    throw missingCredentials(route.auth);
  }

  private async fromSession(request: IncomingMessage, route: Route): Promise<Caller> {
    this.sessions.assertCsrfHeader(request);
    const { sessionId, session } = await this.sessions.resolve(request);
    const fresh = await this.refresher.ensureFresh(sessionId, session).catch((error: unknown) => {
      throw error instanceof SessionEnded ? this.sessions.failure(request, error.reason) : error;
    });
    const contents = fresh.contents;
    return {
      identity: {
        bearer: route.token === 'id' && contents.idToken ? contents.idToken : contents.accessToken,
        consumer: contents.consumer,
        credential: contents.credential,
        groups: contents.groups,
        claims: contents.headerClaims,
      },
      facts: {
        groups: contents.groups,
        scopes: contents.scope?.split(' ') ?? [],
        audiences: route.audience ? audiencesOf(decodeJwtPayload(contents.accessToken)) : [],
      },
    };
  }

  private async fromToken(token: string, verified: VerifiedToken): Promise<Caller> {
    const key = tokenDigest(token);
    let mapping = this.mappings.get(key);
    if (!mapping) {
      mapping = await this.consumers.map(verified.claims);
      this.mappings.set(key, mapping, verified.expiresAt);
    }
    const groups = groupsFrom(verified.claims, this.consumerConfig);
    return {
      identity: {
        bearer: token,
        consumer: mapping.consumer,
        credential: mapping.credential,
        anonymous: mapping.anonymous,
        groups,
        claims: verified.claims,
      },
      facts: { groups, scopes: verified.scopes, audiences: verified.audiences },
    };
  }
}

function allows(routeAuth: RouteAuth, mode: 'session' | 'bearer' | 'client_credentials'): boolean {
  return routeAuth === mode || routeAuth === 'any';
}

function missingCredentials(routeAuth: RouteAuth): AppError {
  const scheme = routeAuth === 'client_credentials' ? 'Basic realm="bff"' : 'Bearer';
  return new AppError(401, 'not_authenticated', 'This route needs credentials.', { headers: { 'www-authenticate': scheme } });
}
