import type { ServerMetadata } from 'openid-client';

const ENDPOINTS = [
  ['token_endpoint', 'token'],
  ['introspection_endpoint', 'introspection'],
  ['revocation_endpoint', 'revocation'],
  ['jwks_uri', 'jwks'],
  ['userinfo_endpoint', 'userinfo'],
] as const;

/** What an IdP call is for, by the endpoint the discovery document gives its URL (span names: `idp token`). */
export function idpEndpointName(url: URL, metadata: ServerMetadata | undefined): string {
  if (url.pathname.endsWith('/.well-known/openid-configuration')) return 'discovery';
  const target = `${url.origin}${url.pathname}`;
  for (const [field, name] of ENDPOINTS) if (metadata?.[field] === target) return name;
  return 'call';
}
