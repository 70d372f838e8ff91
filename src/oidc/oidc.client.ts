import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import { AppError, ServiceUnavailableError } from '../common/app.error';
import type { OidcConfig } from '../config/app-config';
import { OIDC_CONFIG } from '../config/config.tokens';
import { ReadinessService } from '../health/readiness.service';
import { MetricsService } from '../metrics/metrics.service';
import { withBackoff } from './backoff-key-set';
import { classifyIdpError } from './idp-errors';
import { ReachabilityProbe } from './reachability-probe';
import { toTokenResult, type TokenResult } from './token-result';

const IDP_TIMEOUT_SECONDS = 5;
const MAX_BACKOFF_MS = 30_000;
const PROBE_TIMEOUT_MS = 2_000;
const PROBE_TTL_MS = { up: 2_000, down: 500 };

/**
 * The one place that talks to the identity provider. Discovery runs once at start-up and is retried with backoff in
 * the background while the IdP is down (the process still starts; /readyz says the IdP is unreachable). Every call
 * that fails to reach the IdP counts in `bff_dependency_errors_total{dependency="idp"}`.
 */
@Injectable()
export class OidcClient implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('OidcClient');
  private configuration: client.Configuration | undefined;
  private keySet: JWTVerifyGetKey | undefined;
  private discovering: Promise<client.Configuration> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private probeFailing = false;
  private readonly reachability = new ReachabilityProbe(() => this.probe(), PROBE_TTL_MS);

  constructor(
    @Inject(OIDC_CONFIG) readonly settings: OidcConfig,
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.readiness.register('idp', async () => {
      if (!(await this.reachable())) throw new Error('the identity provider is unreachable');
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

  /** The discovery document (a 503 while the IdP has never been reached). */
  async metadata(): Promise<client.ServerMetadata> {
    return (await this.config()).serverMetadata();
  }

  /** Whether the discovery document answers now (the answer is reused for 2 s when up, 0.5 s when down). */
  reachable(): Promise<boolean> {
    return this.reachability.check();
  }

  /** The issuer's signing keys (cached by jose, refetched on an unknown `kid`, with a cooldown; failures back off). */
  async jwks(): Promise<JWTVerifyGetKey> {
    const config = await this.config();
    if (!this.keySet) {
      const uri = config.serverMetadata().jwks_uri;
      if (!uri) throw new ServiceUnavailableError('idp', new Error('the issuer publishes no jwks_uri'));
      const remote = createRemoteJWKSet(new URL(uri), { timeoutDuration: IDP_TIMEOUT_SECONDS * 1000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      this.keySet = withBackoff(remote);
    }
    return this.keySet;
  }

  /** Refuses (503) while the IdP is down rather than sending the browser to a login page that will not load. */
  async authorizationUrl(parameters: Record<string, string>): Promise<URL> {
    const config = await this.config();
    if (!(await this.reachable())) throw new ServiceUnavailableError('idp');
    return client.buildAuthorizationUrl(config, parameters);
  }

  /** Exchanges the code (PKCE) and validates the ID token: signature, iss, aud, exp, nonce. */
  async exchangeCode(callback: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<TokenResult> {
    const response = await this.counted(async () =>
      client.authorizationCodeGrant(await this.config(), callback, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
      }),
    );
    return toTokenResult(response);
  }

  async refresh(refreshToken: string): Promise<TokenResult> {
    return toTokenResult(await this.counted(async () => client.refreshTokenGrant(await this.config(), refreshToken)));
  }

  /** Best effort: a failed revocation must not keep a user from logging out. */
  async revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
    const config = await this.config();
    if (!config.serverMetadata().revocation_endpoint) return;
    await this.counted(() => client.tokenRevocation(config, token, { token_type_hint: hint }));
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
      this.reachability.record(true);
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

  /** Counts a call that did not reach the IdP (refused, reset, timed out, not an OAuth answer); rethrows either way. */
  private async counted<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error: unknown) {
      // AppErrors come from config(): a failed discovery, already counted.
      if (!(error instanceof AppError) && classifyIdpError(error).kind === 'unreachable') {
        this.metrics.dependencyErrors.inc({ dependency: 'idp' });
      }
      throw error;
    }
  }

  /** Discovery until it succeeds once; then a plain GET of the discovery document. */
  private async probe(): Promise<boolean> {
    if (!this.configuration) return this.discover().then(
      () => true,
      () => false,
    );
    try {
      const response = await fetch(discoveryUrl(this.settings.issuer), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the discovery document answered ${response.status}`);
      if (this.probeFailing) this.logger.log({ issuer: this.settings.issuer }, 'the identity provider is reachable again');
      this.probeFailing = false;
      return true;
    } catch (error: unknown) {
      this.metrics.dependencyErrors.inc({ dependency: 'idp' });
      if (!this.probeFailing) this.logger.warn({ issuer: this.settings.issuer, reason: reasonOf(error) }, 'the identity provider is unreachable');
      this.probeFailing = true;
      return false;
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

/** OpenID Connect Discovery 1.0 §4: the issuer's path, then /.well-known/openid-configuration. */
function discoveryUrl(issuer: string): URL {
  const url = new URL(issuer);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
  return url;
}

export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
