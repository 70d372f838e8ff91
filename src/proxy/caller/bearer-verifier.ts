import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { IntrospectionResponse } from 'openid-client';
import { InFlight } from '../../common/in-flight';
import { AppError, ServiceUnavailableError } from '../../common/app.error';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../../common/jws-algorithms';
import type { OidcConfig } from '../../config/app-config';
import { OIDC_CONFIG } from '../../config/config.tokens';
import { MetricsService } from '../../metrics/metrics.service';
import { classifyIdpError, isRefusal } from '../../oidc/idp-errors';
import { OidcClient } from '../../oidc/oidc.client';
import { ExtraIssuers, type ExtraIssuer } from '../../oidc/extra-issuers';
import { IssuerUnavailable } from '../../oidc/issuer-keys';
import { isAccessTokenIntrospection, isAccessTokenJwt } from './access-token-rule';
import { BoundedCache } from '../../common/bounded-cache';
import { FailedCredential, failureExpiry, isCredentialFailure } from './failed-credential-memory';
import { audiencesOf } from '../../identity/claims';
import { invalidTokenError, isJwtShaped, tokenDigest, toVerifiedToken, type VerifiedToken } from './verified-token';

const MAX_CACHED_TOKENS = 10_000;
// Small: an expired token should stop working promptly; IdP and BFF clocks are NTP-synchronised in practice.
const CLOCK_TOLERANCE_SECONDS = 5;
/** Introspection answers without `exp` are asked again after this long. */
const UNDATED_INTROSPECTION_TTL_MS = 60_000;

/**
 * Checks bearer tokens from machine clients: JWTs against the issuer's JWKS, opaque tokens by introspection.
 * Verified results are kept until the token expires, so a repeat caller costs a hash and a map lookup; rejections
 * are kept for a minute (FailedCredential), so a repeated bad token costs no IdP call either.
 */
@Injectable()
export class BearerVerifier {
  private readonly logger = new Logger('BearerVerifier');
  private readonly verified = new BoundedCache<VerifiedToken | FailedCredential>(MAX_CACHED_TOKENS);
  private readonly inFlight = new InFlight<VerifiedToken>();

  constructor(
    private readonly oidc: OidcClient,
    @Inject(OIDC_CONFIG) private readonly settings: OidcConfig,
    private readonly metrics: MetricsService,
    private readonly extraIssuers: ExtraIssuers,
  ) {}

  /** A token verified before and not yet expired, from memory; `undefined` for one unknown or remembered as failed. */
  cached(token: string): VerifiedToken | undefined {
    const cached = this.verified.get(tokenDigest(token));
    return cached instanceof FailedCredential ? undefined : cached;
  }

  verify(token: string): Promise<VerifiedToken> {
    const key = tokenDigest(token);
    const cached = this.verified.get(key);
    if (cached instanceof FailedCredential) return Promise.reject(cached.error);
    if (cached) return Promise.resolve(cached);
    return this.inFlight.run(key, () =>
      this.verifyUncached(token).then(
        (result) => {
          this.verified.set(key, result, result.expiresAt);
          return result;
        },
        (error: unknown) => {
          if (isCredentialFailure(error)) this.verified.set(key, new FailedCredential(error), failureExpiry());
          throw error;
        },
      ),
    );
  }

  private async verifyUncached(token: string): Promise<VerifiedToken> {
    if (token === '') throw invalidTokenError();
    try {
      return isJwtShaped(token) ? await this.verifyJwt(token) : await this.verifyOpaque(token);
    } catch (error: unknown) {
      if (error instanceof AppError) throw error;
      if (error instanceof KeySetUnavailable || error instanceof IntrospectionUnavailable || error instanceof IssuerUnavailable) {
        this.metrics.dependencyErrors.inc({ dependency: 'idp' });
        throw new ServiceUnavailableError('idp', error.cause);
      }
      throw invalidTokenError(error);
    }
  }

  /**
   * The token's unverified `iss` only chooses whose keys to try (the signature then pins it): the main issuer's, an
   * extra issuer's (BEARER_EXTRA_ISSUERS, without asking the main IdP anything), or none — 401 without any I/O.
   */
  private async verifyJwt(token: string): Promise<VerifiedToken> {
    const named = claimedIssuer(token);
    if (named === undefined || named === this.settings.issuer) {
      const { issuer } = (await this.oidc.config()).serverMetadata();
      return this.verifyWith(token, await this.oidc.jwks(), issuer, this.settings.audience);
    }
    const extra = this.extraIssuers.find(named);
    if (!extra) throw invalidTokenError();
    return this.verifyExtra(token, named, extra);
  }

  private async verifyExtra(token: string, issuer: string, extra: ExtraIssuer): Promise<VerifiedToken> {
    const verified = await this.verifyWith(token, await extra.keys.keySet(), issuer, extra.audience);
    // Its subjects share the consumer namespace with the main issuer's: the log says whose token it was.
    this.logger.log({ issuer, sub: verified.subject, clientId: verified.claims['client_id'] }, 'accepted a token of an extra issuer');
    return verified;
  }

  /** The same access-token rules for every issuer: signature, iss, exp, nbf, aud, and positively an access token. */
  private async verifyWith(token: string, keys: JWTVerifyGetKey, issuer: string, audience: string | undefined): Promise<VerifiedToken> {
    const { payload, protectedHeader } = await jwtVerify(token, keysOrUnavailable(keys), {
      issuer,
      audience,
      algorithms: ASYMMETRIC_JWS_ALGORITHMS,
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    if (payload.exp === undefined || !isAccessTokenJwt(protectedHeader, payload, { clientId: this.settings.clientId, audience })) throw invalidTokenError();
    return toVerifiedToken(payload, payload.exp * 1000);
  }

  private async verifyOpaque(token: string): Promise<VerifiedToken> {
    const answer = await this.oidc.introspect(token).catch((error: unknown) => {
      if (error instanceof AppError) throw error;
      // Contract: the IdP's 4xx to an introspection is the caller's failure (401), never a 503.
      throw isRefusal(classifyIdpError(error)) ? invalidTokenError(error) : new IntrospectionUnavailable(error);
    });
    if (!answer?.active || !isAccessTokenIntrospection(answer, this.settings)) throw invalidTokenError();
    const now = Date.now();
    if (this.settings.audience !== undefined && !audiencesOf(answer).includes(this.settings.audience)) throw invalidTokenError();
    if (answer.exp !== undefined && answer.exp * 1000 <= now) throw invalidTokenError();
    if (answer.nbf !== undefined && answer.nbf * 1000 > now + CLOCK_TOLERANCE_SECONDS * 1000) throw invalidTokenError();
    return toVerifiedToken(claimsOf(answer), answer.exp === undefined ? now + UNDATED_INTROSPECTION_TTL_MS : answer.exp * 1000);
  }
}

/** The `iss` a JWT names, unverified; undefined when it names none or is not a JWT at all (jose will say). */
function claimedIssuer(token: string): string | undefined {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

/** Fetching the JWKS failed (timeout, network, not a key set): the IdP's fault, not the token's. */
class KeySetUnavailable extends Error {}

class IntrospectionUnavailable extends Error {
  constructor(cause: unknown) {
    super('token introspection failed', { cause });
  }
}

// Failures that a token's header can cause; any other failure while resolving the key is the JWKS endpoint's.
const TOKEN_KEY_FAILURES = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported, errors.JOSEAlgNotAllowed];

function keysOrUnavailable(keys: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error: unknown) {
      if (TOKEN_KEY_FAILURES.some((kind) => error instanceof kind)) throw error;
      throw new KeySetUnavailable('the issuer key set could not be fetched', { cause: error });
    }
  };
}

/**
 * The introspection answer minus `active`, which describes the answer rather than the token. An answer without `sub`
 * (a client-credentials token: RFC 7662 makes `sub` optional) is the client's own: `sub` is its `client_id`, as
 * RFC 9068 §2.2 puts it in such JWTs, so the consumer is mapped by the client like a JWT caller would be.
 */
function claimsOf(answer: IntrospectionResponse): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...answer };
  delete claims['active'];
  const hasSubject = typeof answer.sub === 'string' && answer.sub !== '';
  if (!hasSubject && typeof answer.client_id === 'string' && answer.client_id !== '') claims['sub'] = answer.client_id;
  return claims;
}
