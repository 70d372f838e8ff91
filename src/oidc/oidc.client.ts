import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import { ServiceUnavailableError } from '../common/app.error';
import type { OidcConfig } from '../config/app-config';
import { OIDC_CONFIG } from '../config/config.tokens';
import { ReadinessService } from '../health/readiness.service';
import { MetricsService } from '../metrics/metrics.service';
import { toTokenResult, type TokenResult } from './token-result';

const IDP_TIMEOUT_SECONDS = 5;
const MAX_BACKOFF_MS = 30_000;

/**
 * The one place that talks to the identity provider. Discovery runs once at start-up and is retried with backoff in
 * the background while the IdP is down (the process still starts; /readyz says the IdP is unreachable).
 */
@Injectable()
export class OidcClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('OidcClient');
  private configuration: client.Configuration | undefined;
  private keySet: JWTVerifyGetKey | undefined;
  private discovering: Promise<client.Configuration> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempts = 0;

  constructor(
    @Inject(OIDC_CONFIG) readonly settings: OidcConfig,
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.readiness.register('idp', async () => {
      await this.discover();
    });
    this.discover().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    clearTimeout(this.retryTimer);
  }

  /** The discovered configuration, or a 503 while the IdP cannot be reached. */
  async config(): Promise<client.Configuration> {
    if (this.configuration) return this.configuration;
    try {
      return await this.discover();
    } catch (error: unknown) {
      throw new ServiceUnavailableError('idp', error);
    }
  }

  /** The issuer's signing keys (cached by jose, refetched on an unknown `kid`, with a cooldown). */
  async jwks(): Promise<JWTVerifyGetKey> {
    const config = await this.config();
    if (!this.keySet) {
      const uri = config.serverMetadata().jwks_uri;
      if (!uri) throw new ServiceUnavailableError('idp', new Error('the issuer publishes no jwks_uri'));
      this.keySet = createRemoteJWKSet(new URL(uri), { timeoutDuration: IDP_TIMEOUT_SECONDS * 1000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    }
    return this.keySet;
  }

  async authorizationUrl(parameters: Record<string, string>): Promise<URL> {
    return client.buildAuthorizationUrl(await this.config(), parameters);
  }

  /** Exchanges the code (PKCE) and validates the ID token: signature, iss, aud, exp, nonce. */
  async exchangeCode(callback: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<TokenResult> {
    const response = await client.authorizationCodeGrant(await this.config(), callback, {
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      pkceCodeVerifier: checks.codeVerifier,
      idTokenExpected: true,
    });
    return toTokenResult(response);
  }

  async refresh(refreshToken: string): Promise<TokenResult> {
    return toTokenResult(await client.refreshTokenGrant(await this.config(), refreshToken));
  }

  /** Best effort: a failed revocation must not keep a user from logging out. */
  async revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
    const config = await this.config();
    if (!config.serverMetadata().revocation_endpoint) return;
    await client.tokenRevocation(config, token, { token_type_hint: hint });
  }

  /** RFC 7662 introspection of an opaque bearer token; undefined when the IdP offers no introspection endpoint. */
  async introspect(token: string): Promise<client.IntrospectionResponse | undefined> {
    const config = await this.config();
    if (!config.serverMetadata().introspection_endpoint) return undefined;
    return client.tokenIntrospection(config, token, { token_type_hint: 'access_token' });
  }

  /** A client_credentials grant made with a caller's own credentials (Kong's client-credentials flow). */
  async clientCredentialsGrant(clientId: string, clientSecret: string, scopes: readonly string[]): Promise<TokenResult> {
    const server = (await this.config()).serverMetadata();
    const caller = new client.Configuration(server, clientId, undefined, client.ClientSecretBasic(clientSecret));
    caller.timeout = IDP_TIMEOUT_SECONDS;
    if (new URL(server.issuer).protocol === 'http:') client.allowInsecureRequests(caller);
    const parameters: Record<string, string> = scopes.length > 0 ? { scope: scopes.join(' ') } : {};
    return toTokenResult(await client.clientCredentialsGrant(caller, parameters));
  }

  /** RP-initiated logout URL, or undefined when the IdP has no end_session_endpoint. */
  async endSessionUrl(parameters: Record<string, string>): Promise<URL | undefined> {
    const config = await this.config();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(config, parameters);
  }

  get issuer(): string {
    return this.configuration?.serverMetadata().issuer ?? this.settings.issuer;
  }

  private discover(): Promise<client.Configuration> {
    this.discovering ??= this.runDiscovery().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private async runDiscovery(): Promise<client.Configuration> {
    if (this.configuration) return this.configuration;
    const { issuer, clientId, clientSecret, tokenEndpointAuthMethod } = this.settings;
    const authentication =
      tokenEndpointAuthMethod === 'client_secret_post' ? client.ClientSecretPost(clientSecret) : client.ClientSecretBasic(clientSecret);
    const insecure = new URL(issuer).protocol === 'http:';
    try {
      const configuration = await client.discovery(new URL(issuer), clientId, undefined, authentication, {
        timeout: IDP_TIMEOUT_SECONDS,
        // Plain http is only for local development IdPs; https issuers never take this path.
        execute: insecure ? [client.allowInsecureRequests] : [],
      });
      configuration.timeout = IDP_TIMEOUT_SECONDS;
      this.configuration = configuration;
      this.attempts = 0;
      this.logger.log({ issuer }, 'discovered the identity provider');
      if (insecure) this.logger.warn({ issuer }, 'the issuer uses plain http: acceptable for development only');
      return configuration;
    } catch (error: unknown) {
      this.metrics.dependencyErrors.inc({ dependency: 'idp' });
      this.scheduleRetry(error);
      throw error;
    }
  }

  private scheduleRetry(error: unknown): void {
    if (this.retryTimer) return;
    const delay = Math.min(500 * 2 ** this.attempts, MAX_BACKOFF_MS);
    this.attempts += 1;
    this.logger.warn({ issuer: this.settings.issuer, reason: reasonOf(error), retryInMs: delay }, 'discovery failed');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.discover().catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
  }
}

export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
