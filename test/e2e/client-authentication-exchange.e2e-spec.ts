import { ClientKeyFiles } from '../support/client-keys';
import { bearerOf, startExchangeStack, type ExchangeStack } from '../support/exchange-stack';

/** The BFF's calls for callers, not sessions, authenticate with its private key too: token exchange and introspection. */
describe('private_key_jwt at the token exchange and introspection', () => {
  const keys = new ClientKeyFiles();
  let stack: ExchangeStack;

  beforeAll(async () => {
    stack = await startExchangeStack(
      { OIDC_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt', OIDC_CLIENT_PRIVATE_KEY_FILE: keys.create('ec-jwk').path, OIDC_CLIENT_SECRET: undefined },
      (publicUrl) => ({ mainClientAuthentication: { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${publicUrl}/auth/jwks` } }),
    );
  });
  afterAll(async () => {
    await stack.stop();
    keys.remove();
  });

  it("exchanges a session's token for a route's audience", async () => {
    const alice = await stack.signedIn('alice');
    stack.idp.resetCounters();
    const orders = await stack.call(alice, '/orders/1');
    expect(orders.status).toBe(200);
    expect(stack.idp.counters.tokenExchanges).toBe(1);
    expect(await stack.verifiedClaims(bearerOf(orders.body))).toMatchObject({ aud: 'api://orders', client_id: 'bff' });
  });

  it("introspects a machine's opaque bearer token", async () => {
    const { access_token: token } = await stack.idp.issueClientCredentialsToken(undefined, 'api://opaque');
    stack.idp.resetCounters();
    const call = await stack.call({ authorization: `Bearer ${token}` }, '/api/x');
    expect(call.status).toBe(200);
    expect(stack.idp.counters.introspections).toBe(1);
    expect(bearerOf(call.body)).toBe(token);
  });
});
