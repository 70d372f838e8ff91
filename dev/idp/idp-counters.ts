import type { Provider } from 'oidc-provider';

export const TOKEN_PATH = '/token';
export const REVOCATION_PATH = '/token/revocation';
export const INTROSPECTION_PATH = '/token/introspection';
export const USERINFO_PATH = '/me';
export const PAR_PATH = '/request';

/** What the IdP saw, for tests that assert "exactly one refresh" or "the token was revoked". */
export class DevIdpCounters {
  /** Successful token-endpoint grants, by grant type. */
  authorizationCode = 0;
  refreshToken = 0;
  clientCredentials = 0;
  /** Token-endpoint requests answered with an error (invalid_grant, invalid_client, ...). */
  tokenErrors = 0;
  /** Token-endpoint requests answered `use_dpop_nonce` (RFC 9449 §8), a part of tokenErrors. */
  dpopNonceChallenges = 0;
  /** Revocation requests answered 200. */
  revocations = 0;
  /** The `DPoP` header of each revocation request (oidc-provider does not check it there; tests do). */
  revocationProofs: (string | undefined)[] = [];
  /** Back-channel logout tokens delivered (the client answered 200/204), and the failed deliveries. */
  backchannelLogouts = 0;
  backchannelLogoutErrors = 0;
  /** Every request that reached the token endpoint, and the introspection endpoint, answered well or not. */
  tokenRequests = 0;
  introspections = 0;
  /** Tokens minted by RFC 8693 exchanges, and for which target each (audience or resource), oldest first. */
  tokenExchanges = 0;
  exchangeTargets: string[] = [];
  /** Every request that reached the userinfo endpoint. */
  userinfoRequests = 0;
  /** Every request that reached the pushed authorization request endpoint. */
  pushedAuthorizationRequests = 0;

  reset(): void {
    this.pushedAuthorizationRequests = 0;
    this.userinfoRequests = 0;
    this.tokenExchanges = 0;
    this.exchangeTargets = [];
    this.tokenRequests = 0;
    this.introspections = 0;
    this.authorizationCode = 0;
    this.refreshToken = 0;
    this.clientCredentials = 0;
    this.tokenErrors = 0;
    this.dpopNonceChallenges = 0;
    this.revocations = 0;
    this.revocationProofs = [];
    this.backchannelLogouts = 0;
    this.backchannelLogoutErrors = 0;
  }

  listenTo(provider: Provider): void {
    provider.on('grant.success', (ctx) => this.grantSucceeded(ctx.oidc.params?.grant_type));
    provider.on('grant.error', (_ctx, error: unknown) => {
      this.tokenErrors += 1;
      if (typeof error === 'object' && error !== null && 'error' in error && error.error === 'use_dpop_nonce') this.dpopNonceChallenges += 1;
    });
    provider.on('server_error', (ctx) => {
      if (ctx.oidc.route === 'token') this.tokenErrors += 1;
    });
    provider.on('backchannel.success', () => {
      this.backchannelLogouts += 1;
    });
    provider.on('backchannel.error', () => {
      this.backchannelLogoutErrors += 1;
    });
  }

  exchanged(target: string): void {
    this.tokenExchanges += 1;
    this.exchangeTargets.push(target);
  }

  revocationAnswered(status: number): void {
    if (status === 200) this.revocations += 1;
  }

  private grantSucceeded(grantType: unknown): void {
    switch (grantType) {
      case 'authorization_code':
        this.authorizationCode += 1;
        break;
      case 'refresh_token':
        this.refreshToken += 1;
        break;
      case 'client_credentials':
        this.clientCredentials += 1;
        break;
      default:
        break;
    }
  }
}
