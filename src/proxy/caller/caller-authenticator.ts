import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../common/app.error';
import { SessionGate, type AntiForgery, type EntryOptions } from '../../session/session-gate';
import { CredentialFailureLimiter } from '../../throttle/credential-failure-limiter';
import type { Caller, TokenCaller } from '../forwarding/caller';
import type { Route, RouteDpop } from '../forwarding/route';
import { BearerVerifier } from './bearer-verifier';
import { credentialsRejectedError, parseBasicCredentials } from './client-credentials/basic-credentials';
import { ClientCredentialsExchange, type ExchangedToken } from './client-credentials/client-credentials.exchange';
import { credentialOf } from './credential-kind';
import { dpopChallenge, inDpopScheme } from './dpop/dpop-errors';
import { DpopGate, type PresentedToken } from './dpop/dpop-gate';
import { isCredentialFailure } from './failed-credential-memory';
import { sessionCaller } from './session-caller';
import { TokenCallers } from './token-callers';
import type { VerifiedToken } from './verified-token';

/** How a session caller proves it comes from the app: the CSRF header, or (a WebSocket handshake) its `Origin`. */
export type CallerAntiForgery = Exclude<AntiForgery, 'logout-sid' | 'device-proof'>;

const ENTRIES: Record<CallerAntiForgery, EntryOptions> = {
  'csrf-header': { antiForgery: 'csrf-header', refresh: true },
  origin: { antiForgery: 'origin', refresh: true },
};

/**
 * Works out who is calling a proxied route, by the route's `auth` mode: a bearer token, a client-credentials pair
 * (Kong's flow) or the session cookie (SessionGate: anti-forgery, lookup, refresh). Each kind has one rule, which the
 * cached and the uncached path both apply: the cached path is the same decision with only a memory read.
 */
@Injectable()
export class CallerAuthenticator {
  constructor(
    private readonly sessions: SessionGate,
    private readonly tokens: TokenCallers,
    private readonly verifier: BearerVerifier,
    private readonly clientCredentials: ClientCredentialsExchange,
    private readonly failures: CredentialFailureLimiter,
    private readonly dpop: DpopGate,
  ) {}

  /**
   * The caller when all it takes is already in memory — a token verified and mapped before, a Basic pair whose token
   * is cached, or a session this instance read a moment ago whose token is not due — so the common request needs no
   * promise; `undefined` means "ask `authenticate`", which also produces every refusal.
   */
  authenticateCached(request: IncomingMessage, route: Route, antiForgery: CallerAntiForgery = 'csrf-header'): Caller | undefined {
    const credential = credentialOf(request.headers.authorization, route.auth);
    switch (credential.kind) {
      case 'bearer': {
        const known = this.tokens.cached(credential.token);
        // A token that must come with a proof is never served from memory alone: the proof is checked per request.
        return known && this.dpop.needsNothingMore(route.dpop, credential, known.boundKey) ? known : undefined;
      }
      case 'client_credentials': {
        const exchanged = this.exchangedFromMemory(credential.authorization);
        const caller = exchanged && this.tokens.cached(exchanged.accessToken);
        return caller && boundTo(caller, exchanged);
      }
      case 'session': {
        const open = this.sessions.enterCached(request, ENTRIES[antiForgery]);
        return open && sessionCaller(open, route);
      }
      case 'none':
        return undefined;
    }
  }

  /**
   * The same decision as `authenticateCached`, which it starts with, then what takes I/O: verification, an exchange,
   * the consumer mapping, the vault, a refresh, and every refusal. `clientIp` is whose failed credentials count
   * (RATE_LIMIT_CREDENTIAL_FAILURES). A WebSocket handshake passes `origin`: browsers cannot add a header to one, so a
   * session caller proves it comes from the app with `Origin`.
   */
  async authenticate(request: IncomingMessage, route: Route, clientIp: string, antiForgery: CallerAntiForgery = 'csrf-header'): Promise<Caller> {
    const cached = this.authenticateCached(request, route, antiForgery);
    if (cached) return cached;
    const credential = credentialOf(request.headers.authorization, route.auth);
    switch (credential.kind) {
      case 'bearer': {
        const { token } = credential;
        const known = this.verifier.cached(token);
        // A failed proof counts against the address like any failed credential; it is not remembered against the token.
        return this.countingFailures(clientIp, known !== undefined, async () => {
          this.dpop.refuseEarly(route.dpop, credential);
          const verified = known ?? (await this.verify(credential));
          await this.dpop.check(request, route.dpop, credential, verified.boundKey);
          return this.tokens.of(token, verified);
        });
      }
      case 'client_credentials': {
        const known = this.exchangedFromMemory(credential.authorization);
        return this.countingFailures(clientIp, known !== undefined, async () => {
          const exchanged = known ?? (await this.exchange(credential.authorization));
          return boundTo(await this.tokens.of(exchanged.accessToken, exchanged.verified), exchanged);
        });
      }
      case 'session':
        return sessionCaller(await this.sessions.enter(request, ENTRIES[antiForgery]), route);
      case 'none':
        throw missingCredentials(route);
    }
  }

  /** A token refused on its own is challenged in the scheme it came with. */
  private async verify(presented: PresentedToken): Promise<VerifiedToken> {
    try {
      return await this.verifier.verify(presented.token);
    } catch (error: unknown) {
      throw presented.scheme === 'dpop' ? inDpopScheme(error) : error;
    }
  }

  /** The token a Basic pair was exchanged for, while this instance still holds it; no I/O. */
  private exchangedFromMemory(authorization: string): ExchangedToken | undefined {
    const credentials = parseBasicCredentials(authorization);
    return credentials && this.clientCredentials.cached(credentials.clientId, credentials.clientSecret);
  }

  private exchange(authorization: string): Promise<ExchangedToken> {
    const credentials = parseBasicCredentials(authorization);
    if (!credentials) return Promise.reject(credentialsRejectedError());
    return this.clientCredentials.exchange(credentials.clientId, credentials.clientSecret);
  }

  /**
   * A locked-out address is refused before anything is checked, except what it used successfully before and this
   * instance still holds (one noisy client behind a NAT locks out nobody else); each credential that fails counts.
   */
  private async countingFailures(clientIp: string, known: boolean, attempt: () => Promise<TokenCaller>): Promise<TokenCaller> {
    if (!known) await this.failures.assertNotLocked(clientIp);
    try {
      return await attempt();
    } catch (error: unknown) {
      if (isCredentialFailure(error)) await this.failures.recordFailure(clientIp);
      throw error;
    }
  }
}

/**
 * A Basic pair's token with the key it is bound to (OIDC_DPOP). Per request, never in the token caller cache: the same
 * token presented as a bearer (copied from an upstream's log) must not get the BFF's proofs.
 */
function boundTo(caller: TokenCaller, exchanged: ExchangedToken): TokenCaller {
  return exchanged.dpopKey ? { ...caller, dpopKey: exchanged.dpopKey } : caller;
}

// RFC 9449 §7.1: a route that takes both schemes offers both.
const CHALLENGES: Record<RouteDpop, string> = { off: 'Bearer', optional: `Bearer, ${dpopChallenge()}`, required: dpopChallenge() };

function missingCredentials(route: Route): AppError {
  const scheme = route.auth === 'client_credentials' ? 'Basic realm="bff"' : CHALLENGES[route.dpop];
  return new AppError(401, 'not_authenticated', 'This route needs credentials.', { headers: { 'www-authenticate': scheme } });
}
