import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConsumerConfig, OidcConfig, ProxyConfig } from '../config/app-config';
import { CONSUMER_CONFIG, OIDC_CONFIG, PROXY_CONFIG } from '../config/config.tokens';
import { accessTokenFacts, decodeJwtPayload, withUserinfo } from '../identity/claims';
import { deriveCallerIdentity, identitySettingsOf, type IdentitySettings } from '../identity/derive-identity';
import { classifyIdpError, InvalidIdpAnswer } from '../oidc/idp-errors';
import { OidcClient } from '../oidc/oidc.client';
import type { TokenResult } from '../oidc/token-result';
import type { VaultContents } from './session.types';
import type { DpopKey } from '../dpop/dpop-key';

export type UserinfoClaims = Readonly<Record<string, unknown>>;

/** What a refresh's userinfo call said: claims, another subject's (the session ends), or nothing new (kept as before). */
export type RefreshUserinfo = { kind: 'claims'; claims: UserinfoClaims } | { kind: 'other_subject' } | { kind: 'unchanged' };

/**
 * OIDC_USERINFO: the userinfo endpoint's claims, fetched with the access token at login and after each refresh
 * (OIDC Core §5.3), fill in what the ID token lacks for consumer mapping, groups and UPSTREAM_HEADERS. Its `sub` must
 * be the ID token's (§5.3.2). Off, it costs nothing.
 */
@Injectable()
export class SessionUserinfo {
  private readonly logger = new Logger('Userinfo');
  readonly enabled: boolean;
  private readonly identitySettings: IdentitySettings;

  constructor(
    private readonly oidc: OidcClient,
    @Inject(OIDC_CONFIG) settings: OidcConfig,
    @Inject(CONSUMER_CONFIG) consumer: ConsumerConfig,
    @Inject(PROXY_CONFIG) proxy: ProxyConfig,
  ) {
    this.enabled = settings.userinfo;
    this.identitySettings = identitySettingsOf(consumer, proxy);
  }

  /** The login's claims; throws InvalidIdpAnswer('userinfo_sub') for another subject's, and what the IdP call throws. */
  async atLogin(accessToken: string, sub: string, dpopKey?: DpopKey): Promise<UserinfoClaims | undefined> {
    return this.enabled ? this.oidc.userinfo(accessToken, sub, dpopKey) : undefined;
  }

  /** After a refresh: claims for the new access token; an IdP that cannot answer now leaves the session as it was. */
  async afterRefresh(accessToken: string, sub: string, dpopKey?: DpopKey): Promise<RefreshUserinfo> {
    if (!this.enabled) return { kind: 'unchanged' };
    try {
      return { kind: 'claims', claims: await this.oidc.userinfo(accessToken, sub, dpopKey) };
    } catch (error: unknown) {
      if (error instanceof InvalidIdpAnswer && error.code === 'userinfo_sub') return { kind: 'other_subject' };
      this.logger.warn({ sub, failure: classifyIdpError(error) }, 'userinfo failed after a refresh; the session keeps the claims it had');
      return { kind: 'unchanged' };
    }
  }

  /**
   * With OIDC_USERINFO on, the refreshed contents' identity, derived again from the ID token (the refreshed one, else the stored one) and
   * the userinfo claims: groups and UPSTREAM_HEADERS follow the user's changes; the consumer mapping stays the login's.
   */
  refreshedIdentity(contents: VaultContents, tokens: TokenResult, scope: string | undefined, userinfo: UserinfoClaims | undefined): VaultContents['identity'] {
    const access = accessTokenFacts(tokens.accessToken, scope);
    const claims = withUserinfo(tokens.claims ?? decodeJwtPayload(contents.idToken), userinfo);
    const { consumer, credential, anonymous, acr, authTime } = contents.identity;
    // How the user authenticated is the login's (OIDC Core 12.2), whatever a refreshed ID token repeats of it.
    return { ...deriveCallerIdentity(claims, { consumer, credential, anonymous }, access, this.identitySettings), acr, authTime };
  }
}
