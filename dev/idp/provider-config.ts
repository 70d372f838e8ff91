import { randomBytes } from 'node:crypto';
import type { Client, ClientMetadata, Configuration, Grant, KoaContextWithOIDC, ResourceServerInfo } from 'oidc-provider';
import { API_SCOPES, DEFAULT_RESOURCE, OIDC_SCOPES, OPAQUE_RESOURCE } from './idp-clients';
import type { UserDirectory } from './idp-users';
import { ACR_VALUES, loginPolicy } from './authentication-levels';
import { errorPage, logoutPage, signedOutPage } from './html-pages';
import type { MemoryStore } from './memory-adapter';
import type { SigningKey } from './signing-keys';

export interface ProviderConfigInput {
  store: MemoryStore;
  users: UserDirectory;
  signingKey: SigningKey;
  clients: readonly ClientMetadata[];
  accessTokenTtlSeconds: number;
  issueRefreshTokens: boolean;
  /** Okta's org authorization server: groups only at userinfo, user access tokens opaque and aud-less (userinfo takes no other). */
  thinIdTokens: boolean;
  /** DPoP as Okta does it: every proof must carry a nonce the IdP gave (`use_dpop_nonce` first). */
  dpopNonces?: boolean;
  /** RFC 9126: offered, required of every client (require_pushed_authorization_requests), or not offered. */
  pushedAuthorizationRequests: 'optional' | 'required' | 'off';
}

const RESOURCE_SCOPE = [...OIDC_SCOPES, ...API_SCOPES].join(' ');

export function providerConfig(input: ProviderConfigInput): Configuration {
  const { store, users, signingKey, clients, accessTokenTtlSeconds, issueRefreshTokens, thinIdTokens, pushedAuthorizationRequests, dpopNonces = false } = input;
  const resourceServerInfo = (_ctx: KoaContextWithOIDC, indicator: string): ResourceServerInfo => ({
    scope: RESOURCE_SCOPE,
    audience: indicator,
    accessTokenTTL: accessTokenTtlSeconds,
    accessTokenFormat: indicator === OPAQUE_RESOURCE ? 'opaque' : 'jwt',
  });

  return {
    adapter: store.adapterFor,
    clients,
    jwks: { keys: [signingKey.privateJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: [...OIDC_SCOPES],
    // The BFF reads identity from the ID token, so groups ride on `openid` and every scope's claims go in it.
    claims: {
      // acr and amr in every ID token, as Okta does, not only when a client asks for them.
      openid: ['sub', 'groups', 'acr', 'amr'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      sid: null,
      auth_time: null,
      iss: null,
    },
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // On by default in oidc-provider 9 (tokens are bound when a proof comes along); nonces only when asked for.
      dPoP: dpopNonces ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } : { enabled: true },
      // Any confidential client may introspect (the BFF checks machine tokens); revocation stays owner-only.
      introspection: { enabled: true, allowedPolicy: () => true },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx: KoaContextWithOIDC, client: Client, token: { clientId?: string }) =>
          token.clientId === client.clientId,
      },
      backchannelLogout: { enabled: true },
      pushedAuthorizationRequests: {
        enabled: pushedAuthorizationRequests !== 'off',
        requirePushedAuthorizationRequests: pushedAuthorizationRequests === 'required',
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = signedOutPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx: KoaContextWithOIDC, _client: unknown, oneOf?: string[]) =>
          oneOf ? (oneOf.includes(DEFAULT_RESOURCE) ? DEFAULT_RESOURCE : oneOf[0]) : DEFAULT_RESOURCE,
        // Without this, a token request with no `resource` and scope `openid` gets a userinfo-only opaque token.
        useGrantedResource: () => !thinIdTokens,
        getResourceServerInfo: resourceServerInfo,
      },
    },
    findAccount: (_ctx, sub) => users.account(sub, { groupsInIdToken: !thinIdTokens }),
    loadExistingGrant: grantEverythingRequested,
    // oidc-provider strips offline_access from authorization requests without prompt=consent (OIDC Core §11),
    // so the code never carries it: every code exchange of a refresh-capable client gets a refresh token instead.
    issueRefreshToken: (_ctx, client) => issueRefreshTokens && client.grantTypeAllowed('refresh_token'),
    // ...and, for the same reason, tokens would otherwise die with the IdP's browser session like online tokens.
    expiresWithSession: () => false,
    rotateRefreshToken: true,
    extraTokenClaims: (_ctx, token) => {
      const groups = token.accountId === undefined ? undefined : users.groupsOf(token.accountId);
      return groups ? { groups: [...groups] } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: loginPolicy() },
    acrValues: [...ACR_VALUES],
    // oidc-provider answers these three (and refuses select_account); Okta-like IdPs list theirs too.
    discovery: { prompt_values_supported: ['none', 'login', 'consent'] },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description);
    },
    clientBasedCORS: () => false,
    // oidc-provider's own dispatcher refuses loopback addresses (SSRF guard); back-channel logout targets 127.0.0.1.
    fetch: (url, { dispatcher: _ignored, ...init }) => fetch(url, init),
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      ClientCredentials: accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
  };
}

/** Auto-consent: the session's grant (or a new one) is widened to whatever this request asks for. */
async function grantEverythingRequested(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { provider, client, session, result } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await provider.Grant.find(grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId: session.accountId, clientId: client.clientId });

  const oidcScope = [...ctx.oidc.requestParamOIDCScopes].join(' ');
  if (oidcScope) grant.addOIDCScope(oidcScope);
  for (const [indicator, resourceServer] of Object.entries(ctx.oidc.resourceServers)) {
    const offered = new Set(resourceServer.scope.split(' '));
    const scope = [...ctx.oidc.requestParamScopes].filter((s) => offered.has(s)).join(' ');
    if (scope) grant.addResourceScope(indicator, scope);
  }
  await grant.save();
  return grant;
}
