import { Logger } from '@nestjs/common';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import type { IdpFetch } from '../tracing/tracing';
import { isTokenKeyFailure, withBackoff } from './backoff-key-set';
import { IDP_TIMEOUT_SECONDS } from './idp-discovery';
import { reasonOf } from './idp-errors';

/** What /readyz says of an issuer: not needed yet, its keys answer, they do not, or it names itself otherwise. */
export type IssuerState = 'unused' | 'up' | 'down' | 'issuer_mismatch';

/** The issuer's discovery or key set could not be read: its tokens are a 503, never a 401. */
export class IssuerUnavailable extends Error {}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

/**
 * One other issuer's signing keys (BEARER_EXTRA_ISSUERS), found lazily on its first token: its discovery document
 * (which must name it exactly), then its JWKS, cached and rotated as the main issuer's are (refetched on an unknown
 * `kid` at most every 30 s, and after 10 min; failures back off). A discovery that fails backs off too, for this
 * issuer alone, and concurrent tokens share one attempt.
 */
export class IssuerKeys {
  private readonly logger = new Logger('ExtraIssuer');
  private keys: JWTVerifyGetKey | undefined;
  private discovering: Promise<JWTVerifyGetKey> | undefined;
  private failures = 0;
  private retryAt = 0;
  private current: IssuerState = 'unused';

  constructor(
    readonly issuer: string,
    private readonly fetch: IdpFetch | undefined,
  ) {}

  get state(): IssuerState {
    return this.current;
  }

  /** The key set, discovering it first; IssuerUnavailable while the issuer cannot be read. */
  keySet(): Promise<JWTVerifyGetKey> {
    if (this.keys) return Promise.resolve(this.keys);
    const wait = this.retryAt - Date.now();
    if (wait > 0) return Promise.reject(new IssuerUnavailable(`issuer discovery failed recently; next attempt in ${wait} ms`));
    this.discovering ??= this.discover().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    try {
      const jwksUri = await this.jwksUri();
      const remote = createRemoteJWKSet(jwksUri, {
        timeoutDuration: IDP_TIMEOUT_SECONDS * 1000,
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
        ...(this.fetch && { [customFetch]: this.fetch }),
      });
      this.keys = this.watched(withBackoff(remote));
      this.failures = 0;
      this.logger.log({ issuer: this.issuer }, 'discovered an extra issuer');
      return this.keys;
    } catch (error: unknown) {
      this.retryAt = Date.now() + Math.min(FIRST_RETRY_MS * 2 ** this.failures, MAX_RETRY_MS);
      this.failures += 1;
      if (this.current !== 'issuer_mismatch') this.current = 'down';
      this.logger.warn({ issuer: this.issuer, reason: reasonOf(error) }, 'an extra issuer could not be discovered; its tokens are refused with 503 meanwhile');
      throw error instanceof IssuerUnavailable ? error : new IssuerUnavailable('issuer discovery failed', { cause: error });
    }
  }

  /** OpenID Connect Discovery 1.0 §4: the document names the issuer exactly (§4.3), and where its keys are. */
  private async jwksUri(): Promise<URL> {
    const url = new URL(this.issuer);
    url.pathname = `${url.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await (this.fetch ?? fetch)(url.href, { signal: AbortSignal.timeout(IDP_TIMEOUT_SECONDS * 1000), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`the discovery document answered ${response.status}`);
    const document: unknown = await response.json();
    const fields: Record<string, unknown> = typeof document === 'object' && document !== null ? { ...document } : {};
    if (fields['issuer'] !== this.issuer) {
      this.current = 'issuer_mismatch';
      throw new Error('the discovery document names another issuer');
    }
    const jwksUri = fields['jwks_uri'];
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw new Error('the discovery document has no jwks_uri');
    return new URL(jwksUri);
  }

  /** Tells /readyz whether the key set answers; a token's unknown `kid` says nothing about the issuer. */
  private watched(keys: JWTVerifyGetKey): JWTVerifyGetKey {
    this.current = 'up';
    return async (header, token) => {
      try {
        const key = await keys(header, token);
        this.current = 'up';
        return key;
      } catch (error: unknown) {
        if (!isTokenKeyFailure(error)) this.current = 'down';
        throw error;
      }
    };
  }
}
