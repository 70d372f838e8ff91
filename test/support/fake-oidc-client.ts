import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import type { IntrospectionResponse } from 'openid-client';
import type { OidcConfig } from '../../src/config/app-config';

export const ISSUER = 'https://idp.example.test/oauth2/default';
export const NOW = Date.UTC(2030, 0, 1);
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The three calls the verifier makes to the IdP adapter, answered locally. */
export class FakeOidcClient {
  keyLookups = 0;
  keys: JWTVerifyGetKey;
  introspection: IntrospectionResponse | Error | undefined = { active: false };
  readonly introspected: string[] = [];

  constructor(publicJwk: JWK) {
    const local = createLocalJWKSet({ keys: [publicJwk] });
    this.keys = (header, token) => {
      this.keyLookups += 1;
      return local(header, token);
    };
  }

  config(): Promise<client.Configuration> {
    return Promise.resolve(new client.Configuration({ issuer: ISSUER, introspection_endpoint: `${ISSUER}/introspect` }, 'bff'));
  }

  jwks(): Promise<JWTVerifyGetKey> {
    return Promise.resolve((header, token) => this.keys(header, token));
  }

  introspect(token: string): Promise<IntrospectionResponse | undefined> {
    this.introspected.push(token);
    return this.introspection instanceof Error ? Promise.reject(this.introspection) : Promise.resolve(this.introspection);
  }
}

export const oidcSettings: OidcConfig = {
  issuer: ISSUER,
  clientId: 'bff',
  clientAuth: { method: 'client_secret_basic', secret: 'bff-secret' },
  clientKey: undefined,
  par: 'auto',
  redirectUri: 'https://app.example.test/auth/callback',
  scopes: ['openid'],
  responseMode: 'query',
  audience: undefined,
  clientCredentialsScopes: [],
  userinfo: false,
  dpop: false,
  extraIssuers: [],
  postLogoutRedirectUri: 'https://app.example.test/',
  loginForwardParams: new Set(),
};

export function errorChainText(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) parts.push(current.message, current.stack ?? '', JSON.stringify(current));
  return parts.join('\n');
}
