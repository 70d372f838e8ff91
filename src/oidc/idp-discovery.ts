import { Logger } from '@nestjs/common';
import * as client from 'openid-client';
import type { OidcConfig } from '../config/app-config';
import type { MetricsService } from '../metrics/metrics.service';
import type { IdpFetch } from '../tracing/tracing';
import { clientAuthentication } from './client-authentication';
import { clientAuthProblems } from './client-auth-problems';
import { dpopProblems } from './dpop-problems';
import { reasonOf } from './idp-errors';
import { ReachabilityProbe } from './reachability-probe';

export const IDP_TIMEOUT_SECONDS = 5;
const MAX_BACKOFF_MS = 30_000;
const PROBE_TIMEOUT_MS = 2_000;
const PROBE_TTL_MS = { up: 2_000, down: 500 };

/** The discovery document names another issuer than OIDC_ISSUER: the operator's to fix, not an outage. */
export class IssuerMismatch extends Error {
  constructor(
    readonly configured: string,
    readonly discovered: string | undefined,
  ) {
    super('the discovered issuer differs from OIDC_ISSUER');
  }
}

/**
 * Discovery runs once at start-up and is retried with backoff in the background while it fails (the process still
 * starts; /readyz says why). After that, reachability is a plain GET of the discovery document.
 */
export class IdpDiscovery {
  private readonly logger = new Logger('OidcClient');
  private configuration: client.Configuration | undefined;
  private discovering: Promise<client.Configuration> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private probeFailing = false;
  private mismatch: IssuerMismatch | undefined;
  private readonly reachability = new ReachabilityProbe(() => this.probe(), PROBE_TTL_MS);
  /** How the BFF authenticates at the IdP's endpoints (OIDC_TOKEN_ENDPOINT_AUTH_METHOD). */
  readonly clientAuth: client.ClientAuth;

  constructor(
    private readonly settings: OidcConfig,
    private readonly metrics: MetricsService,
    /** The IdP calls' fetch when span export is on (traced); openid-client's own otherwise. */
    private readonly fetch?: IdpFetch,
  ) {
    this.clientAuth = clientAuthentication(settings.clientAuth);
  }

  get current(): client.Configuration | undefined {
    return this.configuration;
  }

  /** Whether the last discovery failed because the IdP names another issuer than the configured one. */
  get issuerMismatch(): boolean {
    return this.mismatch !== undefined;
  }

  discover(): Promise<client.Configuration> {
    this.discovering ??= this.runDiscovery().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  /** Whether the discovery document answers now (the answer is reused for 2 s when up, 0.5 s when down). */
  reachable(): Promise<boolean> {
    return this.reachability.check();
  }

  stop(): void {
    clearTimeout(this.retryTimer);
  }

  private async runDiscovery(): Promise<client.Configuration> {
    if (this.configuration) return this.configuration;
    const { issuer, clientId } = this.settings;
    const insecure = new URL(issuer).protocol === 'http:';
    try {
      const configuration = await client
        .discovery(new URL(issuer), clientId, undefined, this.clientAuth, {
          timeout: IDP_TIMEOUT_SECONDS,
          ...(this.fetch && { [client.customFetch]: this.fetch }),
          // Plain http is only for local development IdPs; https issuers never take this path.
          execute: insecure ? [client.allowInsecureRequests] : [],
        })
        .catch((error: unknown) => {
          throw issuerMismatchOf(error, issuer) ?? error;
        });
      // Exactly as configured: openid-client compares URLs after normalising, so `https://idp/` matches `https://idp`.
      const discovered = configuration.serverMetadata().issuer;
      if (discovered !== issuer) throw new IssuerMismatch(issuer, discovered);
      configuration.timeout = IDP_TIMEOUT_SECONDS;
      if (this.fetch) configuration[client.customFetch] = this.fetch;
      this.configuration = configuration;
      this.mismatch = undefined;
      this.reachability.record(true);
      this.attempts = 0;
      this.logger.log({ issuer }, 'discovered the identity provider');
      // At start-up these refuse the start (app.ts); discovered only later, they can but be said before the first login.
      const late = [...clientAuthProblems(configuration.serverMetadata(), this.settings), ...dpopProblems(configuration.serverMetadata(), this.settings.dpop)];
      for (const problem of late) this.logger.error({ problem }, 'configuration error');
      if (insecure) this.logger.warn({ issuer }, 'the issuer uses plain http: acceptable for development only');
      return configuration;
    } catch (error: unknown) {
      this.noteFailure(error);
      this.scheduleRetry(error);
      throw error;
    }
  }

  private noteFailure(error: unknown): void {
    if (error instanceof IssuerMismatch) {
      this.mismatch = error;
      this.logger.error(
        { configured: error.configured, discovered: error.discovered },
        'configuration error: the discovery document names another issuer than OIDC_ISSUER (a trailing slash counts); set OIDC_ISSUER to the discovered value',
      );
      return;
    }
    this.mismatch = undefined;
    this.metrics.dependencyErrors.inc({ dependency: 'idp' });
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
    if (!(error instanceof IssuerMismatch)) {
      this.logger.warn({ issuer: this.settings.issuer, reason: reasonOf(error), retryInMs: delay }, 'discovery failed');
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.discover().catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
  }
}

/** openid-client's own issuer check (for issuers with a path), as an IssuerMismatch naming what was discovered. */
function issuerMismatchOf(error: unknown, configured: string): IssuerMismatch | undefined {
  if (!(error instanceof client.ClientError) || error.code !== 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') return undefined;
  const cause: unknown = error.cause;
  if (typeof cause !== 'object' || cause === null || !('attribute' in cause) || cause.attribute !== 'issuer') return undefined;
  const body: unknown = 'body' in cause ? cause.body : undefined;
  const discovered = typeof body === 'object' && body !== null && 'issuer' in body && typeof body.issuer === 'string' ? body.issuer : undefined;
  return new IssuerMismatch(configured, discovered);
}

/** OpenID Connect Discovery 1.0 §4: the issuer's path, then /.well-known/openid-configuration. */
function discoveryUrl(issuer: string): URL {
  const url = new URL(issuer);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
  return url;
}
