import { Inject, Injectable, Logger } from '@nestjs/common';
import * as client from 'openid-client';
import { ServiceUnavailableError } from '../common/app.error';
import type { ConsumerConfig, HttpConfig, OidcConfig, ProxyConfig, SessionConfig } from '../config/app-config';
import { CONSUMER_CONFIG, HTTP_CONFIG, OIDC_CONFIG, PROXY_CONFIG, SESSION_CONFIG } from '../config/config.tokens';
import { ConsumerMappingService } from '../consumer/consumer-mapping.service';
import { MetricsService } from '../metrics/metrics.service';
import { classifyIdpError, CLIENT_CREDENTIALS_HINT, type IdpFailure } from '../oidc/idp-errors';
import { OidcClient } from '../oidc/oidc.client';
import type { TokenResult } from '../oidc/token-result';
import { SessionCookie } from '../session/session-cookie';
import { SessionStore } from '../session/session.store';
import { SessionUserinfo } from '../session/session-userinfo';
import type { VaultContents } from '../session/session.types';
import { DpopKey } from '../dpop/dpop-key';
import { accessTokenFacts, withUserinfo } from '../identity/claims';
import type { ConsumerMapping } from '../identity/caller-identity';
import { deriveCallerIdentity, identitySettingsOf, type IdentitySettings } from '../identity/derive-identity';
import { AuthError } from './auth.errors';
import { LoginBinding } from './login-binding';
import { assertPromptSupported, parseLoginQuery } from './login-parameters';
import { LoginStateStore } from './login-state.store';
import { safeReturnTo } from '../common/return-to';
import { silentLoginFailure } from './silent-login';

/** How a callback ended without an exception: a new session, or a silent login the IdP could not complete. */
export type LoginOutcome =
  | { sessionId: string; returnTo: string; clearBindingCookie: string }
  | { silentFailure: string; returnTo: string; clearBindingCookie: string };

/** What the handler learns about a callback as it goes, for its answer should the login fail. */
export interface LoginAttempt {
  /** The page the login started from, once the callback is known to belong to this browser. */
  returnTo?: string;
}

/** The authorization code flow with PKCE: start a login, then turn the IdP's answer into a vault session. */
@Injectable()
export class LoginService {
  private readonly logger = new Logger('Login');
  private readonly binding: LoginBinding;
  private readonly identitySettings: IdentitySettings;

  constructor(
    private readonly oidc: OidcClient,
    private readonly states: LoginStateStore,
    private readonly sessions: SessionStore,
    private readonly sessionCookie: SessionCookie,
    private readonly consumers: ConsumerMappingService,
    private readonly metrics: MetricsService,
    private readonly userinfo: SessionUserinfo,
    @Inject(HTTP_CONFIG) private readonly http: HttpConfig,
    @Inject(OIDC_CONFIG) private readonly settings: OidcConfig,
    @Inject(CONSUMER_CONFIG) consumerConfig: ConsumerConfig,
    @Inject(PROXY_CONFIG) proxyConfig: ProxyConfig,
    @Inject(SESSION_CONFIG) sessionConfig: SessionConfig,
  ) {
    this.binding = new LoginBinding(sessionConfig.cookieSecure, settings.responseMode === 'form_post');
    this.identitySettings = identitySettingsOf(consumerConfig, proxyConfig);
  }

  /** Returns where to send the browser and the cookies to set: the one binding this attempt, and clearings of stale ones. */
  async begin(query: URLSearchParams, cookieHeader: string | undefined): Promise<{ authorizationUrl: URL; cookies: string[] }> {
    const login = parseLoginQuery(query, this.settings.loginForwardParams);
    if (login.forward.prompt) assertPromptSupported(login.forward.prompt, (await this.oidc.metadata())['prompt_values_supported']);
    const returnTo = safeReturnTo(login.returnTo, this.http.publicUrl);
    if (!returnTo) throw new AuthError('invalid_return_to');
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const parameters: Record<string, string> = {
      ...login.forward,
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes.join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (this.settings.responseMode === 'form_post') parameters['response_mode'] = 'form_post';
    const authorizationUrl = await this.oidc.authorizationUrl(parameters);
    const binding = this.binding.create(state);
    await this.states.save(state, { codeVerifier, nonce, returnTo, binding: binding.digest, silent: login.forward.prompt === 'none' });
    return { authorizationUrl, cookies: [...this.binding.clearExcess(cookieHeader), binding.cookie] };
  }

  /** The cookie that forgets a pending login, success or not. */
  forgetLogin(response: URLSearchParams): string | undefined {
    const state = response.get('state');
    return state ? this.binding.clear(state) : undefined;
  }

  /**
   * Every failure ends here without a session: bad state → 400, IdP refusal → 401, unmapped user → 403. A new session
   * replaces the browser's previous one, which ends (a new id on every login: no fixation); a failed login keeps it.
   */
  async complete(response: URLSearchParams, cookieHeader: string | undefined, userAgent: string | undefined, attempt: LoginAttempt = {}): Promise<LoginOutcome> {
    try {
      const result = await this.completeOrThrow(response, cookieHeader, userAgent, attempt);
      this.metrics.logins.inc({ outcome: 'silentFailure' in result ? 'silent_login_failed' : 'success' });
      return result;
    } catch (error: unknown) {
      this.metrics.logins.inc({ outcome: error instanceof AuthError ? error.code : 'error' });
      throw error;
    }
  }

  private async completeOrThrow(
    response: URLSearchParams,
    cookieHeader: string | undefined,
    userAgent: string | undefined,
    attempt: LoginAttempt,
  ): Promise<LoginOutcome> {
    const state = response.get('state');
    if (!state) throw new AuthError('state_missing');
    const login = await this.states.take(state);
    if (!login) throw new AuthError('state_unknown');
    if (!this.binding.matches(cookieHeader, state, login.binding)) throw new AuthError('state_mismatch');
    attempt.returnTo = login.returnTo;
    const silentFailure = silentLoginFailure(login.silent, response.get('error'));
    if (silentFailure) return { silentFailure, returnTo: login.returnTo, clearBindingCookie: this.binding.clear(state) };
    if (response.has('error')) {
      this.logger.warn({ idpError: response.get('error')?.slice(0, 64) }, 'the IdP returned an error');
      throw new AuthError('idp_error');
    }
    // OIDC_DPOP=on: the session's own key, made before the code exchange so that its tokens are bound to it.
    const dpopKey = this.settings.dpop ? await DpopKey.generate() : undefined;
    const tokens = await this.exchange(response, login, dpopKey);
    const userinfo = await this.userinfoOf(tokens, dpopKey);
    const claims = withUserinfo(tokens.claims ?? {}, userinfo);
    const mapping = await this.consumers.map(claims);
    const contents = { ...this.vaultContents(tokens, claims, mapping), ...(userinfo && { userinfo }), ...(dpopKey && { dpopKey }) };
    const { sessionId } = await this.sessions.create(contents, userAgent);
    const previous = this.sessionCookie.read(cookieHeader);
    if (previous) await this.sessions.destroy(previous).catch(() => false);
    this.logger.log({ sub: claims['sub'], consumer: mapping.consumer?.id ?? null }, 'login completed');
    return { sessionId, returnTo: login.returnTo, clearBindingCookie: this.binding.clear(state) };
  }

  private async exchange(response: URLSearchParams, login: { codeVerifier: string; nonce: string }, dpopKey: DpopKey | undefined): Promise<TokenResult> {
    const callback = new URL(this.settings.redirectUri);
    callback.search = response.toString();
    const state = response.get('state') ?? '';
    try {
      return await this.oidc.exchangeCode(callback, { state, nonce: login.nonce, codeVerifier: login.codeVerifier }, dpopKey);
    } catch (error: unknown) {
      if (error instanceof ServiceUnavailableError) throw error;
      throw this.exchangeFailure(classifyIdpError(error), error);
    }
  }

  /** OIDC_USERINFO: another subject's claims, or a refused token, fail the login (401); an unreachable IdP is a 503. */
  private async userinfoOf(tokens: TokenResult, dpopKey: DpopKey | undefined): Promise<Readonly<Record<string, unknown>> | undefined> {
    try {
      return await this.userinfo.atLogin(tokens.accessToken, String(tokens.claims?.['sub']), dpopKey);
    } catch (error: unknown) {
      const failure = classifyIdpError(error);
      if (failure.kind === 'unreachable') throw new ServiceUnavailableError('idp', error);
      this.logger.error({ failure }, 'login failed: the userinfo endpoint refused the access token or named another subject than the ID token');
      throw new AuthError('userinfo_rejected', error);
    }
  }

  /** A refused code or an answer that fails validation fails the login (401); a refused client is the operator's (503). */
  private exchangeFailure(failure: IdpFailure, error: unknown): Error {
    switch (failure.kind) {
      case 'unreachable':
        this.logger.warn({ failure }, 'code exchange failed: the IdP is unreachable');
        return new ServiceUnavailableError('idp', error);
      case 'client_rejected':
        this.logger.error({ failure }, `configuration error: the IdP refused this client's authentication; ${CLIENT_CREDENTIALS_HINT}`);
        return new ServiceUnavailableError('idp', error);
      case 'grant_rejected':
        this.logger.warn({ failure }, 'code exchange failed: the IdP rejected the code');
        return new AuthError('code_rejected', error);
      case 'invalid_response':
        this.logger.warn({ failure }, 'code exchange failed: the token response or ID token failed validation');
        return new AuthError('invalid_token_response', error);
    }
  }

  private vaultContents(tokens: TokenResult, claims: Record<string, unknown>, mapping: ConsumerMapping): VaultContents {
    return {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      idToken: tokens.idToken,
      accessTokenExpiresAt: tokens.expiresAt,
      scope: tokens.scope,
      sub: String(claims['sub']),
      sid: typeof claims['sid'] === 'string' ? claims['sid'] : undefined,
      identity: deriveCallerIdentity(claims, mapping, accessTokenFacts(tokens.accessToken, tokens.scope), this.identitySettings),
    };
  }
}
