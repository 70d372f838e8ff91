import { startApp } from '../../src/app';
import { loadAppConfig } from '../../src/config/app-config';
import { openProof, startDpopUpstream, type DpopUpstream, type DpopVerdict } from '../support/dpop-upstream';
import { ClientKeyFiles } from '../support/client-keys';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { MisbehavingIdp } from '../support/misbehaving-idp';
import { startMisbehavingStack, type MisbehavingStack } from '../support/misbehaving-stack';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { baseEnv } from '../support/test-env';
import { JSON_ACCEPT, TestBrowser } from '../support/test-browser';
import { dropKeysUnder, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/test-redis';

// OIDC_DPOP=on against what the IdP offers and answers: userinfo, the start-up check, Bearer answers to a proof, and
// DPoP together with private_key_jwt (dpop-client.e2e-spec.ts has the session's way through the BFF).

describe('DPoP at the userinfo endpoint (OIDC_DPOP=on, OIDC_USERINFO=true)', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    // Thin ID tokens: oidc-provider's userinfo takes the opaque user access tokens such an IdP issues, and their proof.
    stack = await startLoginStack({ OIDC_DPOP: 'on', OIDC_USERINFO: 'true' }, { dpopNonces: true, thinIdTokens: true });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('asks userinfo with the DPoP-bound token and a proof the IdP verifies', async () => {
    const alice = await stack.signedIn('alice');
    expect(stack.idp.counters.userinfoRequests).toBe(1);
    const user = await alice.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' });
    expect(user.status).toBe(200);
    expect(JSON.parse(user.body)).toMatchObject({ sub: 'user-alice' });
  });
});

describe('the start-up check of OIDC_DPOP', () => {
  let bare: MisbehavingIdp;
  let database: TestDatabase;
  const redisPrefix = uniqueRedisPrefix();

  beforeAll(async () => {
    [bare, database] = await Promise.all([MisbehavingIdp.start(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([bare.stop(), database.drop(), dropKeysUnder(redisPrefix)]);
  });

  it('refuses to start against an IdP whose discovery names no DPoP algorithms, in one line naming OIDC_DPOP', async () => {
    const loaded = loadAppConfig(baseEnv({ DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redisPrefix, OIDC_ISSUER: bare.issuer, OIDC_DPOP: 'on' }));
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    await expect(startApp(loaded.config)).rejects.toMatchObject({
      problems: ['OIDC_DPOP: is on, but the identity provider publishes no dpop_signing_alg_values_supported'],
    });
  });
});

describe('OIDC_DPOP=on at a provider that claims DPoP but issues Bearer tokens', () => {
  let stack: MisbehavingStack;

  beforeAll(async () => {
    // Tokens live 30 s and are refreshed when they expire within 60 s: every call refreshes.
    stack = await startMisbehavingStack({ OIDC_DPOP: 'on', TOKEN_REFRESH_SKEW: '60' }, { dpopAlgorithms: ['ES256'], accessTokenTtlSeconds: 30 });
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('fails a login whose token response is not token_type DPoP with 401, and makes no session', async () => {
    const browser = new TestBrowser({ accept: JSON_ACCEPT });
    const answer = await stack.login(browser);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_token_response' });
    expect(browser.cookies(stack.publicUrl)['bff-session']).toBeUndefined();
  });

  it('ends the session with 401 refresh_failed when a refresh answers Bearer, and forwards nothing', async () => {
    stack.idp.faults.code = 'token_type_dpop';
    const browser = await stack.signedIn();
    stack.idp.faults = {};
    const forwarded = stack.upstream.requests.length;
    const answer = await browser.get(`${stack.publicUrl}/api/resource`, { 'x-csrf': '1' });
    expect([answer.status, (JSON.parse(answer.body) as { error?: string }).error]).toEqual([401, 'refresh_failed']);
    expect(stack.upstream.requests.length).toBe(forwarded);
  });
});


describe('OIDC_DPOP=on with private_key_jwt: the assertion and the proof on every IdP call', () => {
  const keys = new ClientKeyFiles();
  let stack: LoginStack;
  let upstream: DpopUpstream;

  beforeAll(async () => {
    const issuer = { value: '' };
    upstream = await startDpopUpstream(() => issuer.value);
    stack = await startLoginStack(
      // A refresh skew longer than the tokens live: every proxied call refreshes first.
      { OIDC_DPOP: 'on', OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_PRIVATE_KEY_FILE: keys.create('ec-jwk').path, OIDC_CLIENT_SECRET: undefined, UPSTREAM_URL: upstream.url, TOKEN_REFRESH_SKEW: '120' },
      (publicUrl) => ({ dpopNonces: true, accessTokenTtlSeconds: 60, mainClientAuthentication: { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${publicUrl}/auth/jwks` } }),
    );
    issuer.value = stack.idp.issuer;
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.stop();
    keys.remove();
  });

  it('logs in, refreshes before a proxied call the upstream verifies, and revokes at logout', async () => {
    stack.idp.resetCounters();
    const browser = await stack.signedIn('alice');
    const response = await fetch(`${stack.publicUrl}/api/orders`, { headers: { 'x-csrf': '1', cookie: browser.cookieHeader(stack.publicUrl) ?? '' } });
    const verdict = (await response.json()) as DpopVerdict;
    expect(response.status).toBe(200);
    expect(verdict.failure).toBeUndefined();
    expect([stack.idp.counters.authorizationCode, stack.idp.counters.refreshToken]).toEqual([1, 1]);
    const user = JSON.parse((await browser.get(`${stack.publicUrl}/auth/user`, { 'x-csrf': '1' })).body) as { logoutUrl: string };
    expect((await browser.get(`${stack.publicUrl}${user.logoutUrl}`)).status).toBe(302);
    expect(stack.idp.counters.revocations).toBe(1);
    expect(openProof(stack.idp.counters.revocationProofs[0] ?? '')).toMatchObject({ jkt: verdict.jkt });
    // Only the IdP's nonce challenges failed: every assertion was taken.
    expect(stack.idp.counters.tokenErrors).toBe(stack.idp.counters.dpopNonceChallenges);
  });
});
