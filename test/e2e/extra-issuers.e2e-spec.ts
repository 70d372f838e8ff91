import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { MACHINE_CLIENT_ID } from '../../dev/idp/idp-clients';
import type { EchoBody } from '../support/echo-upstream';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import { startTestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

describe('bearer tokens of other issuers (BEARER_EXTRA_ISSUERS)', () => {
  let partner: DevIdp;
  let dormant: DevIdp;
  let stranger: DevIdp;
  let stack: ProxyStack;
  /** Minted before its issuer went down, never seen by the BFF. */
  let dormantToken: string;

  beforeAll(async () => {
    [partner, dormant, stranger] = await Promise.all([startDevIdp(), startDevIdp(), startDevIdp()]);
    dormantToken = (await dormant.issueClientCredentialsToken('orders:read')).access_token;
    await dormant.stop();
    stack = await startProxyStack({ BEARER_EXTRA_ISSUERS: `${partner.issuer}=api://partner,${dormant.issuer}`, UPSTREAM_HEADERS: 'iss:X-Issuer' });
  });
  afterAll(async () => {
    await stack.stop();
    await Promise.all([partner.stop(), dormant.stop(), stranger.stop()]);
  });

  const call = async (path: string, token: string) => {
    const response = await fetch(`${stack.publicUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as EchoBody & { error?: string } };
  };
  const readiness = async () => {
    const response = await stack.app.admin('/readyz');
    return { status: response.status, body: (await response.json()) as { issuers?: Record<string, string> } };
  };

  it('accepts a partner\'s machine token for its audience by the same rules, and the upstream can tell whose it is', async () => {
    expect((await readiness()).body.issuers).toEqual({ [partner.issuer]: 'unused', [dormant.issuer]: 'unused' });
    const { access_token: token } = await partner.issueClientCredentialsToken('orders:read', 'api://partner');
    const answer = await call('/machines/jobs', token);
    expect(answer.status).toBe(200);
    expect(answer.body.headers).toMatchObject({ authorization: `Bearer ${token}`, 'x-credential-identifier': MACHINE_CLIENT_ID, 'x-issuer': partner.issuer });
    // The route's scopes apply to it as to any token.
    expect((await call('/orders/1', token)).status).toBe(200);
    const { access_token: writer } = await partner.issueClientCredentialsToken('orders:write', 'api://partner');
    expect(await call('/orders/1', writer)).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    expect((await readiness()).body.issuers).toEqual({ [partner.issuer]: 'up', [dormant.issuer]: 'unused' });
  });

  it('refuses a partner\'s token for another audience, a third issuer\'s, and a forged one claiming the partner', async () => {
    const otherAudience = (await partner.issueClientCredentialsToken('orders:read')).access_token;
    const third = (await stranger.issueClientCredentialsToken('orders:read', 'api://partner')).access_token;
    const [header, payload, signature] = third.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, iss: partner.issuer })).toString('base64url')}.${signature}`;
    stranger.resetCounters();
    for (const token of [otherAudience, third, forged]) {
      expect(await call('/machines/jobs', token)).toMatchObject({ status: 401, challenge: 'Bearer error="invalid_token"', body: { error: 'invalid_token' } });
    }
    expect(stranger.counters.tokenRequests).toBe(0);
  });

  it('answers 503 for the tokens of an issuer it cannot reach, and for those alone; /readyz stays 200 and says so', async () => {
    expect(await call('/machines/jobs', dormantToken)).toMatchObject({ status: 503, body: { error: 'idp_unavailable' } });
    const { access_token: partnerToken } = await partner.issueClientCredentialsToken('orders:read', 'api://partner');
    const { access_token: mainToken } = await stack.idp.issueClientCredentialsToken('orders:read');
    expect([(await call('/machines/a', partnerToken)).status, (await call('/machines/b', mainToken)).status]).toEqual([200, 200]);
    expect(await readiness()).toMatchObject({ status: 200, body: { issuers: { [partner.issuer]: 'up', [dormant.issuer]: 'down' } } });

    await dormant.restart();
    await waitFor(async () => (await call('/machines/jobs', dormantToken)).status, (status) => status === 200, { what: 'the dormant issuer to be back', timeoutMs: 20_000 });
    expect((await readiness()).body.issuers).toMatchObject({ [dormant.issuer]: 'up' });
  });

  it('accepts a partner\'s tokens on a BFF that has never reached its main IdP, whose own tokens then get 503', async () => {
    const unreachable = 'http://127.0.0.1:9';
    const lonely = await startTestApp({ OIDC_ISSUER: unreachable, BEARER_EXTRA_ISSUERS: `${partner.issuer}=api://partner`, UPSTREAM_URL: stack.upstream.url, CONSUMER_OPTIONAL: 'true' });
    try {
      const { access_token: token } = await partner.issueClientCredentialsToken('orders:read', 'api://partner');
      const [header, payload] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      const naming = `${header}.${Buffer.from(JSON.stringify({ ...claims, iss: unreachable })).toString('base64url')}.c2ln`;
      const get = (bearer: string) => fetch(`${lonely.browserUrl}/api/x`, { headers: { authorization: `Bearer ${bearer}` } }).then((response) => response.status);
      expect([await get(token), await get(naming)]).toEqual([200, 503]);
    } finally {
      await lonely.stop();
    }
  });
});
