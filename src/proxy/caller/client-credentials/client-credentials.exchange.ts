import { Inject, Injectable } from '@nestjs/common';
import { createHmac, hkdfSync } from 'node:crypto';
import { AppError, ServiceUnavailableError } from '../../../common/app.error';
import type { OidcConfig, SessionConfig } from '../../../config/app-config';
import { OIDC_CONFIG, SESSION_CONFIG } from '../../../config/config.tokens';
import { MetricsService } from '../../../metrics/metrics.service';
import { classifyIdpError } from '../../../oidc/idp-errors';
import { OidcClient } from '../../../oidc/oidc.client';
import { RedisConnection } from '../../../redis/redis.connection';
import { RedisLease } from '../../../redis/redis-lease';
import { SharedSingleFlight } from '../../../redis/shared-single-flight';
import { SharedTokenCache, type CachedToken } from '../../../session/shared-token-cache';
import { TokenCrypto } from '../../../session/token-crypto';
import { BearerVerifier } from '../bearer-verifier';
import { DpopKey } from '../../../dpop/dpop-key';
import { BoundedCache } from '../../../common/bounded-cache';
import { FailedCredential, failureExpiry, isCredentialFailure } from '../failed-credential-memory';
import type { VerifiedToken } from '../verified-token';
import { credentialsRejectedError, type BasicCredentials } from './basic-credentials';

export interface ExchangedToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  verified: VerifiedToken;
  /** OIDC_DPOP=on: the key the token is bound to, one per grant; upstreams get proofs by it. */
  dpopKey?: DpopKey;
}

const MAX_CACHED_PAIRS = 10_000;
const MIN_REUSE_MARGIN_MS = 30_000;
const LEASE_MS = 10_000;
/** How long an instance waits for another one's grant before making its own: a little over the IdP timeout. */
const SHARED_WAIT_MS = 6_000;
const POLL_INTERVAL_MS = 50;

/**
 * Kong's client-credentials flow: a caller's `client_id:client_secret` become an access token from the IdP, reused
 * per credential pair until shortly before it expires, with one token-endpoint call per pair even under concurrency
 * (in-process coalescing, and a Redis lock across instances). Pairs are known only by an HMAC, never by the secret.
 */
@Injectable()
export class ClientCredentialsExchange {
  // Pairs the IdP refused are remembered too, for a minute: a guessed secret costs one token-endpoint call, not one per try.
  private readonly local = new BoundedCache<ExchangedToken | FailedCredential>(MAX_CACHED_PAIRS);
  private readonly flight: SharedSingleFlight<ExchangedToken>;
  private readonly pairKeySecret: Buffer;
  private readonly shared: SharedTokenCache;
  private readonly scopes: readonly string[];
  private readonly dpop: boolean;

  constructor(
    private readonly oidc: OidcClient,
    private readonly verifier: BearerVerifier,
    private readonly metrics: MetricsService,
    redis: RedisConnection,
    lease: RedisLease,
    @Inject(OIDC_CONFIG) oidcConfig: OidcConfig,
    @Inject(SESSION_CONFIG) sessionConfig: SessionConfig,
  ) {
    const [firstKey] = sessionConfig.encryptionKeys;
    if (!firstKey) throw new Error('ClientCredentialsExchange needs a token encryption key');
    this.pairKeySecret = Buffer.from(hkdfSync('sha256', firstKey, 'bff-client-credentials/v1', 'credential pair key', 32));
    this.shared = new SharedTokenCache(redis, new TokenCrypto(sessionConfig.encryptionKeys), 'cc');
    this.flight = new SharedSingleFlight(lease, POLL_INTERVAL_MS);
    this.scopes = oidcConfig.clientCredentialsScopes;
    this.dpop = oidcConfig.dpop;
  }

  /** The token this pair was exchanged for, while this instance may still reuse it; no I/O. */
  cached(clientId: string, clientSecret: string): ExchangedToken | undefined {
    const cached = this.local.get(this.pairKey(clientId, clientSecret));
    return cached instanceof FailedCredential ? undefined : cached;
  }

  exchange(clientId: string, clientSecret: string): Promise<ExchangedToken> {
    const pair = this.pairKey(clientId, clientSecret);
    const cached = this.local.get(pair);
    if (cached instanceof FailedCredential) return Promise.reject(cached.error);
    if (cached) return Promise.resolve(cached);
    const credentials = { clientId, clientSecret };
    // Another instance may be fetching this pair's token: wait for it (bounded), else make the grant ourselves.
    return this.flight.run(pair, {
      leaseKey: this.shared.leaseKey(pair),
      leaseMs: LEASE_MS,
      waitMs: SHARED_WAIT_MS,
      // The previous holder may have stored its token between our read and our lease.
      hold: async () => (await this.fromShared(pair)) ?? (await this.grant(pair, credentials)),
      read: () => this.fromShared(pair),
      afterWait: () => this.grant(pair, credentials),
      // Redis is an optimisation here: while it is down, every instance simply makes its own grants.
      withoutRedis: 'proceed',
      around: (flight) =>
        flight().catch((error: unknown) => {
          if (isCredentialFailure(error)) this.local.set(pair, new FailedCredential(error), failureExpiry());
          throw error;
        }),
    });
  }

  private async fromShared(pair: string): Promise<ExchangedToken | undefined> {
    const cached = await this.shared.read(pair, pair);
    if (!cached) return undefined;
    // Re-verified rather than trusted: what comes back from Redis crossed a trust boundary.
    const verified = await this.verifier.verify(cached.accessToken).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 401) return undefined;
      throw error;
    });
    if (!verified) return undefined;
    const token = { accessToken: cached.accessToken, expiresAt: cached.expiresAt, verified, ...(cached.dpopKey && { dpopKey: cached.dpopKey }) };
    this.local.set(pair, token, cached.reuseUntil);
    return token;
  }

  private async grant(pair: string, { clientId, clientSecret }: BasicCredentials): Promise<ExchangedToken> {
    const obtainedAt = Date.now();
    const dpopKey = this.dpop ? await DpopKey.generate() : undefined;
    const tokens = await this.oidc.clientCredentialsGrant(clientId, clientSecret, this.scopes, dpopKey).catch((error: unknown) => {
      throw this.grantFailure(error);
    });
    const verified = await this.verifier.verify(tokens.accessToken).catch((error: unknown) => {
      // The IdP issued a token this BFF does not accept (say, another audience): these credentials are no good here.
      throw error instanceof AppError && error.status === 401 ? credentialsRejectedError(error) : error;
    });
    const expiresAt = Math.min(tokens.expiresAt, verified.expiresAt);
    const grant: CachedToken = { accessToken: tokens.accessToken, expiresAt, reuseUntil: reuseDeadline(obtainedAt, expiresAt), ...(dpopKey && { dpopKey }) };
    await this.shared.write(pair, pair, grant);
    const token = { accessToken: grant.accessToken, expiresAt, verified, ...(dpopKey && { dpopKey }) };
    this.local.set(pair, token, grant.reuseUntil);
    return token;
  }

  private grantFailure(error: unknown): AppError {
    if (error instanceof AppError) return error;
    if (isCredentialRejection(error)) return credentialsRejectedError(error);
    this.metrics.dependencyErrors.inc({ dependency: 'idp' });
    return new ServiceUnavailableError('idp', error);
  }

  /** HMAC under a key derived from the vault key: a Redis dump cannot be used to test guessed secrets. */
  private pairKey(clientId: string, clientSecret: string): string {
    // JSON keeps the parts apart whatever they contain; the scopes count too: a token is only as good as its scopes.
    const pair = JSON.stringify([clientId, clientSecret, this.scopes.join(' ')]);
    return createHmac('sha256', this.pairKeySecret).update(pair, 'utf8').digest('base64url');
  }
}

/** Reuse until expiry minus max(30 s, 10 % of the lifetime); a token too short-lived for that is not reused. */
export function reuseDeadline(obtainedAt: number, expiresAt: number): number {
  return expiresAt - Math.max(MIN_REUSE_MARGIN_MS, (expiresAt - obtainedAt) / 10);
}

/** Any 4xx is about the caller's credentials (contract: never a 503); so is a token this BFF cannot use as a Bearer. */
function isCredentialRejection(error: unknown): boolean {
  return classifyIdpError(error).kind !== 'unreachable';
}
