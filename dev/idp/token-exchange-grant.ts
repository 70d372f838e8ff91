import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { errors, type KoaContextWithOIDC, type Provider, type ResourceServerInfo } from 'oidc-provider';
// oidc-provider's grant implementation helpers (its own example grants use them); only the DPoP ones are needed.
import { checkDpopReplay, validateDpop } from 'oidc-provider/lib/helpers/grants.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const PARAMETERS = ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope', 'actor_token', 'actor_token_type'];
const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** What the grant needs of the deployment; the dev IdP decides. */
export interface TokenExchangePolicy {
  /** The provider's own signing key (its public half verifies JWT subject tokens, which oidc-provider never stores). */
  signingJwk: JWK;
  /** Whether `clientId` may obtain tokens for `target`; false → invalid_target (RFC 8693 §2.2.2). */
  mayExchange(clientId: string, target: string): boolean;
  /** As `features.resourceIndicators.getResourceServerInfo` answers: the target's scopes, token format and TTL. */
  resourceServerInfo(target: string): ResourceServerInfo;
  /** Once per minted token. */
  onExchange(clientId: string, target: string): void;
}

/** The subject token, once proven: whose it is, what it may do, until when, and its DPoP key when bound. */
interface Subject {
  sub: string;
  scopes: Set<string>;
  /** Epoch seconds. */
  exp: number;
  jkt?: string;
}

/**
 * RFC 8693 token exchange as an IdP that really checks what it is sent: the subject token must be an unexpired access
 * token of this provider (a JWT: signature, iss, typ, exp; an opaque one: stored, and its grant not revoked); the new
 * token is a JWT for exactly one target (`audience` or `resource`), with at most the subject's scopes, never outliving
 * it; a DPoP-bound subject needs a proof by the same key, and a proof binds the new token. Refusals are what Okta
 * answers: `invalid_grant` for the subject, `invalid_target`, `invalid_scope`.
 */
export function registerTokenExchange(provider: Provider, policy: TokenExchangePolicy): void {
  const keys = createLocalJWKSet({ keys: [publicHalf(policy.signingJwk)] });
  const subjectOf = (value: string) => (JWT.test(value) ? jwtSubject(provider, keys, value) : storedSubject(provider, value));
  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, (ctx) => exchange(provider, policy, subjectOf, ctx), PARAMETERS, ['audience', 'resource']);
}

async function exchange(provider: Provider, policy: TokenExchangePolicy, subjectOf: (value: string) => Promise<Subject>, ctx: KoaContextWithOIDC): Promise<void> {
  const params = ctx.oidc.params ?? {};
  const client = ctx.oidc.client;
  if (!client) throw new errors.InvalidClient('client authentication failed');
  if (params['subject_token_type'] !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest('subject_token_type must be an access token');
  if (params['requested_token_type'] !== undefined && params['requested_token_type'] !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest('only access tokens are issued');
  if (params['actor_token'] !== undefined) throw new errors.InvalidRequest('actor tokens are not supported');
  const subjectToken = params['subject_token'];
  if (typeof subjectToken !== 'string' || subjectToken === '') throw new errors.InvalidRequest('subject_token missing');

  const subject = await subjectOf(subjectToken);
  const target = oneTarget(params['audience'], params['resource']);
  if (!policy.mayExchange(client.clientId, target)) throw new errors.InvalidTarget('the client may not obtain tokens for this target');
  const info = policy.resourceServerInfo(target);
  const asked = typeof params['scope'] === 'string' ? params['scope'].split(' ').filter(Boolean) : [...subject.scopes];
  if (asked.some((scope) => !subject.scopes.has(scope))) throw new errors.InvalidScope('requested scope exceeds the subject token\'s');
  const offered = new Set(info.scope.split(' '));
  const scope = asked.filter((one) => offered.has(one)).join(' ');

  // Undefined without a DPoP header; a bound subject needs a proof by its own key (RFC 9449 §5).
  const proof = await validateDpop(provider, ctx);
  if (subject.jkt !== undefined && proof?.thumbprint !== subject.jkt) throw new errors.InvalidGrant('subject token is invalid');

  const token = new provider.AccessToken({ accountId: subject.sub, client, gty: 'token_exchange', scope: scope || undefined, resourceServer: new provider.ResourceServer(target, info) });
  token.expiresIn = Math.max(1, Math.min(info.accessTokenTTL ?? 300, subject.exp - Math.floor(Date.now() / 1000)));
  if (proof) {
    await checkDpopReplay(provider, ctx, proof, client.clientId, errors.InvalidGrant);
    token.setThumbprint('jkt', proof.thumbprint);
  }
  ctx.oidc.entity('AccessToken', token);
  const value = await token.save();
  policy.onExchange(client.clientId, target);
  ctx.body = { access_token: value, issued_token_type: ACCESS_TOKEN_TYPE, token_type: token.tokenType, expires_in: token.expiration, ...(token.scope ? { scope: token.scope } : {}) };
}

/** oidc-provider never stores JWT access tokens, so one is proven as a resource server would: signature and claims. */
async function jwtSubject(provider: Provider, keys: ReturnType<typeof createLocalJWKSet>, value: string): Promise<Subject> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(value, keys, { issuer: provider.issuer, typ: 'at+jwt', algorithms: ALGORITHMS, requiredClaims: ['exp', 'sub', 'client_id'] }));
  } catch (error: unknown) {
    if (error instanceof joseErrors.JOSEError) throw new errors.InvalidGrant('subject token is invalid');
    throw error;
  }
  const { sub = '', exp = 0, scope, cnf } = payload as JWTPayload & { scope?: unknown; cnf?: { jkt?: unknown } };
  return { sub, exp, scopes: new Set(typeof scope === 'string' ? scope.split(' ') : []), ...(typeof cnf?.jkt === 'string' ? { jkt: cnf.jkt } : {}) };
}

/** An opaque token: a user's access token or a client-credentials one, stored, unexpired, its grant not revoked. */
async function storedSubject(provider: Provider, value: string): Promise<Subject> {
  const stored = (await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value));
  if (!stored || stored.isExpired) throw new errors.InvalidGrant('subject token is invalid');
  if (stored.grantId !== undefined && !(await provider.Grant.find(stored.grantId))) throw new errors.InvalidGrant('subject token is invalid');
  return { sub: stored.accountId ?? stored.clientId, scopes: new Set(stored.scope?.split(' ') ?? []), exp: stored.exp, ...(stored.jkt ? { jkt: stored.jkt } : {}) };
}

/** Exactly one target: `audience` (a logical name, what Okta takes) or `resource` (an absolute URI, RFC 8707). */
function oneTarget(audience: unknown, resource: unknown): string {
  const targets = [...new Set([audience, resource].flat().filter((value): value is string => typeof value === 'string' && value !== ''))];
  const [target] = targets;
  if (targets.length !== 1 || target === undefined) throw new errors.InvalidTarget('exactly one audience or resource is required');
  if (typeof resource === 'string' && !URL.canParse(resource)) throw new errors.InvalidTarget('resource must be an absolute URI');
  return target;
}

/** RFC 7517 §9.3 / RFC 7518 §6.3.2: an RSA key's public members. */
function publicHalf({ kty, n, e, kid, alg }: JWK): JWK {
  return { kty, n, e, kid, alg };
}
