import { Inject, Injectable, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import { ServiceUnavailableError } from '../common/app.error';
import type { OidcConfig } from '../config/app-config';
import { OIDC_CONFIG } from '../config/config.tokens';
import { DependencyNotReady, ReadinessService } from '../health/readiness.service';
import { MetricsService } from '../metrics/metrics.service';
import { Tracing, type IdpFetch } from '../tracing/tracing';
import { idpEndpointName } from './idp-endpoint-name';
import { withBackoff } from './backoff-key-set';
import { clientSecretBasic } from './client-authentication';
import type { DpopKey } from '../dpop/dpop-key';
import { IdpDpop } from './idp-dpop';
import { IdTokenVerifier, type IdTokenExpectations } from './id-token.verifier';
import { IDP_TIMEOUT_SECONDS, IdpDiscovery } from './idp-discovery';
import { classifyIdpError, InvalidIdpAnswer } from './idp-errors';
import { toTokenResult, type TokenResult } from './token-result';
import { tokenExchangeGrant } from './token-exchange-grant';
import { pushFailure, usesPushedAuthorization } from './pushed-authorization';
import { fetchUserinfo } from './userinfo';

/** The ID token a session was created with, which a refreshed one must agree with (OIDC Core 12.2). */
export interface OriginalLogin {
  issuer: string;
  subject: string;
  nonce?: string;
}

/**
 * The one place that talks to the identity provider. Every call that fails to reach the IdP counts in
 * `bff_dependency_errors_total{dependency="idp"}`.
 */
@Injectable()
export class OidcClient implements OnModuleInit, OnApplicationShutdown {
  private readonly discovery: IdpDiscovery;
  private readonly idTokens: IdTokenVerifier;
  private keySet: JWTVerifyGetKey | undefined;
  /** Every IdP call as a client span, when span export is on; with OIDC_DPOP=on, keeping the IdP's DPoP nonces too. */
  private readonly fetch: IdpFetch | undefined;
  /** OIDC_DPOP=on; sessions bound before it was switched off keep their proofs (a key is passed in either way). */
  private readonly dpop: IdpDpop;

  constructor(
    @Inject(OIDC_CONFIG) readonly settings: OidcConfig,
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
    @Optional() tracing: Tracing = Tracing.off(),
  ) {
    const traced = tracing.idpFetch((url) => idpEndpointName(url, this.discovery.current?.serverMetadata()));
    this.dpop = new IdpDpop(traced);
    this.fetch = settings.dpop ? this.dpop.fetch : traced;
    this.discovery = new IdpDiscovery(settings, metrics, this.fetch);
    this.idTokens = new IdTokenVerifier(() => this.jwks(), settings.clientId);
  }

  onModuleInit(): void {
    this.readiness.register('idp', async () => {
      const reachable = await this.reachable();
      if (this.discovery.issuerMismatch) throw new DependencyNotReady('issuer_mismatch');
      if (!reachable) throw new Error('the identity provider is unreachable');
    });
    this.discovery.discover().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.discovery.stop();
  }

  /** The discovered configuration, or a 503 while the IdP cannot be reached (or names another issuer). */
  async config(): Promise<client.Configuration> {
    const current = this.discovery.current;
    if (current) return current;
    try {
      return await this.discovery.discover();
    } catch (error: unknown) {
      throw new ServiceUnavailableError('idp', error);
    }
  }

  /** The discovery document (a 503 while the IdP has never been reached). */
  async metadata(): Promise<client.ServerMetadata> {
    return (await this.config()).serverMetadata();
  }

  /** The discovery document when discovery has succeeded, without calling the IdP (for answers to anonymous callers). */
  knownMetadata(): client.ServerMetadata | undefined {
    return this.discovery.current?.serverMetadata();
  }

  reachable(): Promise<boolean> {
    return this.discovery.reachable();
  }

  /** The issuer's signing keys: cached by jose, refetched on an unknown `kid` at most once per 30 s; failures back off. */
  async jwks(): Promise<JWTVerifyGetKey> {
    const config = await this.config();
    if (!this.keySet) {
      const uri = config.serverMetadata().jwks_uri;
      if (!uri) throw new ServiceUnavailableError('idp', new Error('the issuer publishes no jwks_uri'));
      const remote = createRemoteJWKSet(new URL(uri), {
        timeoutDuration: IDP_TIMEOUT_SECONDS * 1000,
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
        ...(this.fetch && { [customFetch]: this.fetch }),
      });
      this.keySet = withBackoff(remote);
    }
    return this.keySet;
  }

  /**
   * Refuses (503) while the IdP is down rather than sending the browser to a login page that will not load. With PAR
   * the parameters go to the IdP first and the URL carries only client_id and request_uri (pushed-authorization.ts).
   */
  async authorizationUrl(parameters: Record<string, string>): Promise<URL> {
    const config = await this.config();
    if (!(await this.reachable())) throw new ServiceUnavailableError('idp');
    if (!usesPushedAuthorization(this.settings.par, config.serverMetadata())) return client.buildAuthorizationUrl(config, parameters);
    return this.counted(() => client.buildAuthorizationUrlWithPAR(config, parameters)).catch((error: unknown) => {
      throw pushFailure(error);
    });
  }

  /** Exchanges the code (PKCE); the ID token is verified in full: signature, iss, aud/azp, exp, iat, nonce. */
  async exchangeCode(callback: URL, checks: { state: string; nonce: string; codeVerifier: string }, key?: DpopKey): Promise<TokenResult> {
    return this.counted(async () => {
      const config = await this.config();
      const response = await client.authorizationCodeGrant(
        config,
        callback,
        { expectedState: checks.state, expectedNonce: checks.nonce, pkceCodeVerifier: checks.codeVerifier, idTokenExpected: true },
        undefined,
        await this.proofs(config, key),
      );
      const result = toTokenResult(response, Date.now(), tokenType(key));
      if (!result.idToken) throw new InvalidIdpAnswer('id_token');
      return { ...result, claims: await this.verifiedClaims(config, result.idToken, { nonce: checks.nonce }) };
    });
  }

  /** A refreshed ID token, when there is one, is verified like a login's and must name the session's iss and sub. */
  async refresh(refreshToken: string, original: OriginalLogin, key?: DpopKey): Promise<TokenResult> {
    return this.counted(async () => {
      const config = await this.config();
      const result = toTokenResult(await client.refreshTokenGrant(config, refreshToken, undefined, await this.proofs(config, key)), Date.now(), tokenType(key));
      if (!result.idToken) return result;
      return { ...result, claims: await this.verifiedClaims(config, result.idToken, { original }) };
    });
  }

  /** Best effort: a failed revocation must not keep a user from logging out. */
  async revoke(token: string, hint: 'refresh_token' | 'access_token', key?: DpopKey): Promise<void> {
    const config = await this.config();
    if (!config.serverMetadata().revocation_endpoint) return;
    if (key) await this.counted(() => this.dpop.revoke(config, this.discovery.clientAuth, key, token, hint));
    else await this.counted(() => client.tokenRevocation(config, token, { token_type_hint: hint }));
  }

  /** RFC 7662 introspection of an opaque bearer token; undefined when the IdP offers no introspection endpoint. */
  async introspect(token: string): Promise<client.IntrospectionResponse | undefined> {
    const config = await this.config();
    if (!config.serverMetadata().introspection_endpoint) return undefined;
    return client.tokenIntrospection(config, token, { token_type_hint: 'access_token' });
  }

  /** A client_credentials grant made with a caller's own credentials (Kong's client-credentials flow). */
  async clientCredentialsGrant(clientId: string, clientSecret: string, scopes: readonly string[], key?: DpopKey): Promise<TokenResult> {
    const server = (await this.config()).serverMetadata();
    const caller = new client.Configuration(server, clientId, undefined, clientSecretBasic(clientSecret));
    caller.timeout = IDP_TIMEOUT_SECONDS;
    if (this.fetch) caller[client.customFetch] = this.fetch;
    if (new URL(server.issuer).protocol === 'http:') client.allowInsecureRequests(caller);
    const parameters: Record<string, string> = scopes.length > 0 ? { scope: scopes.join(' ') } : {};
    return toTokenResult(await client.clientCredentialsGrant(caller, parameters, await this.proofs(caller, key)), Date.now(), tokenType(key));
  }

  /** RFC 8693: a caller's access token for one meant for a route's upstream (token-exchange-grant.ts). */
  async exchangeToken(subjectToken: string, target: Readonly<Record<string, string>>, key?: DpopKey): Promise<TokenResult> {
    return this.counted(async () => {
      const config = await this.config();
      return tokenExchangeGrant(config, subjectToken, target, (await this.proofs(config, key))?.DPoP);
    });
  }

  /** OIDC_USERINFO: the userinfo endpoint's claims, whose `sub` must be `expectedSubject` (userinfo.ts). */
  async userinfo(accessToken: string, expectedSubject: string, key?: DpopKey): Promise<Record<string, unknown>> {
    return this.counted(async () => {
      const config = await this.config();
      return fetchUserinfo(config, accessToken, expectedSubject, (await this.proofs(config, key))?.DPoP);
    });
  }

  /** RP-initiated logout URL, or undefined when the IdP has no end_session_endpoint. */
  async endSessionUrl(parameters: Record<string, string>): Promise<URL | undefined> {
    const config = await this.config();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(config, parameters);
  }

  get issuer(): string {
    return this.discovery.current?.serverMetadata().issuer ?? this.settings.issuer;
  }

  /** openid-client's DPoP option for a call with `key` (RFC 9449): proofs, and one retry on `use_dpop_nonce`. */
  private async proofs(config: client.Configuration, key: DpopKey | undefined): Promise<{ DPoP: client.DPoPHandle } | undefined> {
    return key && { DPoP: await this.dpop.handle(config, key) };
  }

  private async verifiedClaims(config: client.Configuration, idToken: string, expected: IdTokenExpectations): Promise<Record<string, unknown>> {
    return { ...(await this.idTokens.verify(idToken, config.serverMetadata().issuer, expected)) };
  }

  /** Counts a call that did not reach the IdP (refused, reset, timed out, not an OAuth answer); rethrows either way. */
  private async counted<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error: unknown) {
      // 503s come from config(): a failed discovery, already counted.
      if (!(error instanceof ServiceUnavailableError) && classifyIdpError(error).kind === 'unreachable') {
        this.metrics.dependencyErrors.inc({ dependency: 'idp' });
      }
      throw error;
    }
  }
}

function tokenType(key: DpopKey | undefined): 'bearer' | 'dpop' {
  return key ? 'dpop' : 'bearer';
}
