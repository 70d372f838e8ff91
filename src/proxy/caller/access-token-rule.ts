import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { audiencesOf } from '../../identity/claims';

/**
 * Whether a verified bearer token is positively an access token for us — never an ID token (any client's), a logout
 * token or a refresh token, which are statements about a login, not grants. What counts:
 * - a JWT typed `at+jwt` (RFC 9068 §2.1), or one carrying `scope`/`scp` (Okta, Entra, Keycloak), or whose `aud`
 *   contains OIDC_AUDIENCE when that is set; and nothing about it says it is another kind;
 * - an introspection answer (RFC 7662) whose `token_type` (or Keycloak's `typ`) names an access token; one that names
 *   nothing counts only when its `aud` contains OIDC_AUDIENCE (refresh tokens are active too, and unnamed: oidc-provider).
 */
export function isAccessTokenJwt(header: JWTHeaderParameters, payload: JWTPayload, expect: AccessTokenExpectations): boolean {
  const typ = header.typ?.toLowerCase().replace(/^application\//, '');
  if (typ !== undefined && !JWT_TYPES_ALLOWED.has(typ)) return false;
  if (OTHER_KIND_CLAIMS.some((claim) => payload[claim] !== undefined)) return false;
  // Keycloak names the kind in the payload: `Bearer`, `ID`, `Refresh`, `Logout`.
  const named = kindNamed(payload['typ']);
  if (named !== undefined && !ACCESS_TOKEN_KINDS.has(named)) return false;
  if (typ === 'at+jwt') return true;
  // Meant for our own client and not typed as an access token: an ID token by any other name.
  if (audiencesOf(payload).includes(expect.clientId)) return false;
  return payload['scope'] !== undefined || payload['scp'] !== undefined || hasAudience(payload, expect.audience);
}

export function isAccessTokenIntrospection(answer: Readonly<Record<string, unknown>>, expect: AccessTokenExpectations): boolean {
  const named = kindNamed(answer['token_type']) ?? kindNamed(answer['typ']);
  if (named !== undefined) return ACCESS_TOKEN_KINDS.has(named);
  return hasAudience(answer, expect.audience);
}

export interface AccessTokenExpectations {
  /** OIDC_CLIENT_ID: the audience of our own ID tokens. */
  clientId: string;
  /** OIDC_AUDIENCE. */
  audience: string | undefined;
}

// `jwt` (or none) is what Okta and older IdPs put on access tokens; `id+jwt`, `logout+jwt`, `secevent+jwt` are not.
const JWT_TYPES_ALLOWED = new Set(['at+jwt', 'jwt']);
// ID tokens (nonce, at_hash, c_hash, s_hash; OIDC Core §2), logout tokens (events; Back-Channel Logout §2.4).
const OTHER_KIND_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash', 'events'];
// `DPoP`: a DPoP-bound access token introspects as that kind (RFC 9449 §6.2).
const ACCESS_TOKEN_KINDS = new Set(['bearer', 'dpop', 'access_token', 'urn:ietf:params:oauth:token-type:access_token', 'at+jwt']);

function kindNamed(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.toLowerCase() : undefined;
}

function hasAudience(claims: Readonly<Record<string, unknown>>, audience: string | undefined): boolean {
  return audience !== undefined && audiencesOf(claims).includes(audience);
}
