import { loadAppConfig } from './app-config';
import { MINIMAL_ENV as valid, problemsOf as problems } from '../../test/support/config-env';

const key = valid.TOKEN_ENCRYPTION_KEYS;

describe('loadAppConfig', () => {
  it('applies the contract defaults to a minimal environment', () => {
    const sut = loadAppConfig(valid);
    if (!sut.ok) throw new Error(sut.problems.join('\n'));
    expect(sut.config.http).toEqual({ port: 8000, host: '0.0.0.0', publicUrl: 'https://app.example.com', secure: true, trustProxy: false });
    expect(sut.config.admin).toMatchObject({ port: 8001, host: '127.0.0.1' });
    expect(sut.config.oidc).toMatchObject({
      redirectUri: 'https://app.example.com/auth/callback',
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      clientAuth: { method: 'client_secret_basic', secret: valid.OIDC_CLIENT_SECRET },
      clientKey: undefined,
      par: 'auto',
      responseMode: 'query',
      postLogoutRedirectUri: 'https://app.example.com/',
      clientCredentialsScopes: [],
    });
    expect(sut.config.redis).toMatchObject({ url: 'redis://127.0.0.1:6379', prefix: 'bff:', sentinelName: 'mymaster' });
    expect(sut.config.database).toEqual({ url: 'postgres://postgres@127.0.0.1:5432/bff', migrationsRun: true });
    expect(sut.config.session).toMatchObject({
      cookieName: '__Host-bff-session',
      cookieSecure: true,
      idleTimeoutSeconds: 1800,
      absoluteTimeoutSeconds: 28800,
      refreshSkewSeconds: 60,
      csrfHeader: 'x-csrf',
    });
    expect(sut.config.consumer).toEqual({
      claim: 'sub',
      by: ['custom_id', 'username'],
      optional: false,
      autoCreate: false,
      anonymous: undefined,
      groupsClaim: 'groups',
    });
  });

  it('names the plain cookie on http and parses lists, host:port pairs and header mappings', () => {
    const sut = loadAppConfig({
      ...valid,
      PUBLIC_URL: 'http://localhost:8000',
      OIDC_SCOPES: 'openid,profile  email',
      REDIS_SENTINELS: 'a:26379, b:26380',
      UPSTREAM_HEADERS: 'email:X-User-Email,iss:X-Issuer',
      TOKEN_ENCRYPTION_KEYS: `${key},${Buffer.alloc(32, 1).toString('base64')}`,
      DB_MIGRATIONS_RUN: 'false',
    });
    if (!sut.ok) throw new Error(sut.problems.join('\n'));
    expect(sut.config.session.cookieName).toBe('bff-session');
    expect(sut.config.oidc.scopes).toEqual(['openid', 'profile', 'email']);
    expect(sut.config.redis.sentinels).toEqual([{ host: 'a', port: 26379 }, { host: 'b', port: 26380 }]);
    expect(sut.config.proxy.upstreamHeaders).toEqual([
      { claim: 'email', header: 'x-user-email' },
      { claim: 'iss', header: 'x-issuer' },
    ]);
    expect(sut.config.session.encryptionKeys).toHaveLength(2);
    expect(sut.config.database.migrationsRun).toBe(false);
  });

  it('reports every missing required variable by name, one line each', () => {
    expect(problems(loadAppConfig({}))).toEqual(
      expect.arrayContaining([
        'ADMIN_TOKEN: is required',
        'PUBLIC_URL: is required',
        'OIDC_ISSUER: is required',
        'OIDC_CLIENT_ID: is required',
        'OIDC_CLIENT_SECRET: is required',
        'TOKEN_ENCRYPTION_KEYS: is required',
      ]),
    );
  });

  it.each([
    ['PORT', 'not-a-port', /^PORT: /],
    ['PORT', '70000', /^PORT: must be 0-65535/],
    ['ADMIN_TOKEN', 'too-short', /^ADMIN_TOKEN: must be at least 32 characters/],
    ['PUBLIC_URL', 'app.example.com', /^PUBLIC_URL: must be an http\(s\) URL/],
    ['OIDC_ISSUER', 'ftp://issuer', /^OIDC_ISSUER: must be an http\(s\) URL/],
    ['OIDC_SCOPES', 'profile email', /^OIDC_SCOPES: must include openid/],
    ['OIDC_TOKEN_ENDPOINT_AUTH_METHOD', 'tls_client_auth', /^OIDC_TOKEN_ENDPOINT_AUTH_METHOD: must be one of client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt/],
    ['OIDC_PAR', 'always', /^OIDC_PAR: must be auto, on or off/],
    ['OIDC_RESPONSE_MODE', 'fragment', /^OIDC_RESPONSE_MODE: must be query or form_post/],
    ['REDIS_URL', 'http://redis', /^REDIS_URL: must be a redis/],
    ['REDIS_SENTINELS', 'nohostport', /^REDIS_SENTINELS\.0: must be host:port/],
    ['DATABASE_URL', 'mysql://db', /^DATABASE_URL: must be a postgres/],
    ['TOKEN_ENCRYPTION_KEYS', 'c2hvcnQ=', /^TOKEN_ENCRYPTION_KEYS\.0: every key must be base64 of exactly 32 bytes/],
    ['SESSION_IDLE_TIMEOUT', '-5', /^SESSION_IDLE_TIMEOUT: must be positive/],
    ['SESSION_IDLE_TIMEOUT', '99999', /^SESSION_IDLE_TIMEOUT: must not exceed SESSION_ABSOLUTE_TIMEOUT/],
    ['TOKEN_REFRESH_SKEW', '-1', /^TOKEN_REFRESH_SKEW: must not be negative/],
    ['CSRF_HEADER', 'X CSRF', /^CSRF_HEADER: must be a header name/],
    ['CONSUMER_BY', 'email', /^CONSUMER_BY\.0: entries must be id, custom_id or username/],
    ['CONSUMER_OPTIONAL', 'maybe', /^CONSUMER_OPTIONAL: must be true or false/],
    ['CONSUMER_AUTO_CREATE', 'yes please', /^CONSUMER_AUTO_CREATE: must be true or false/],
    ['UPSTREAM_URL', 'orders:8080', /^UPSTREAM_URL: must be an http\(s\) URL/],
    ['UPSTREAM_HEADERS', 'email', /^UPSTREAM_HEADERS\.0: must be claim:Header-Name pairs/],
    ['SESSION_COOKIE_NAME', 'bad name;', /^SESSION_COOKIE_NAME: must be a valid cookie name/],
    ['REDIS_PREFIX', 'a b', /^REDIS_PREFIX: may hold only/],
    ['RATE_LIMIT_LOGIN', '30', /^RATE_LIMIT_LOGIN: must be <requests>\/<seconds> such as 30\/60, or off/],
    ['RATE_LIMIT_ADMIN', '0/60', /^RATE_LIMIT_ADMIN: must be <requests>\/<seconds>/],
    ['RATE_LIMIT_ADMIN_AUTH_FAILURES', '5/0', /^RATE_LIMIT_ADMIN_AUTH_FAILURES: must be <requests>\/<seconds>/],
    ['RATE_LIMIT_CREDENTIAL_FAILURES', '30', /^RATE_LIMIT_CREDENTIAL_FAILURES: must be <requests>\/<seconds>/],
  ])('rejects %s=%s with a line naming it', (name, value, expected) => {
    const lines = problems(loadAppConfig({ ...valid, [name]: value }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
  });

  it('runs one worker by default, as many as asked, or one per CPU with auto', () => {
    const count = (WORKERS?: string) => {
      const result = loadAppConfig({ ...valid, WORKERS });
      return result.ok ? result.config.workers.count : result.problems;
    };

    expect(count(undefined)).toBe(1);
    expect(count('4')).toBe(4);
    expect(count('auto')).toBeGreaterThanOrEqual(1);
    expect(count('0')).toEqual(['WORKERS: must be auto or a whole number from 1 to 999']);
    expect(count('two')).toEqual(['WORKERS: must be auto or a whole number from 1 to 999']);
  });

  it('rejects a __Host- cookie name with an http PUBLIC_URL, and an admin token with whitespace', () => {
    expect(problems(loadAppConfig({ ...valid, PUBLIC_URL: 'http://localhost:8000', SESSION_COOKIE_NAME: '__Host-app' }))).toEqual([
      'SESSION_COOKIE_NAME: a __Host- or __Secure- name needs an https PUBLIC_URL (browsers drop it otherwise)',
    ]);
    expect(problems(loadAppConfig({ ...valid, ADMIN_TOKEN: 'a secret admin token with spaces in it ok' }))).toEqual([
      'ADMIN_TOKEN: must not contain whitespace',
    ]);
  });

  it('rejects Sentinel and Cluster together', () => {
    expect(problems(loadAppConfig({ ...valid, REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'b:2' }))).toEqual([
      'REDIS_CLUSTER_NODES: cannot be combined with REDIS_SENTINELS',
    ]);
  });

  it('never prints the value of a secret', () => {
    const secret = 'short-secret-admin-token';
    const lines = problems(loadAppConfig({ ...valid, ADMIN_TOKEN: secret, TOKEN_ENCRYPTION_KEYS: 'bm90LWEta2V5' }));
    expect(lines.join('\n')).not.toContain(secret);
    expect(lines.join('\n')).not.toContain('bm90LWEta2V5');
  });

  it('reads rate limits as requests per window, with defaults, and off to disable one', () => {
    const defaults = loadAppConfig(valid);
    expect(defaults.ok && defaults.config.rateLimit).toEqual({
      login: { limit: 60, windowMs: 60_000 },
      admin: { limit: 600, windowMs: 60_000 },
      adminAuthFailures: { limit: 30, windowMs: 300_000 },
      credentialFailures: { limit: 30, windowMs: 60_000 },
    });
    const set = loadAppConfig({ ...valid, RATE_LIMIT_LOGIN: ' 5/10 ', RATE_LIMIT_ADMIN: 'off', RATE_LIMIT_ADMIN_AUTH_FAILURES: '', RATE_LIMIT_CREDENTIAL_FAILURES: 'off' });
    expect(set.ok && set.config.rateLimit).toEqual({
      login: { limit: 5, windowMs: 10_000 },
      admin: undefined,
      adminAuthFailures: { limit: 30, windowMs: 300_000 },
      credentialFailures: undefined,
    });
  });

  it('forwards all five login parameters by default, the listed ones when set, and none when empty', () => {
    const forwarded = (value: string | undefined) => {
      const result = loadAppConfig({ ...valid, LOGIN_FORWARD_PARAMS: value });
      return result.ok ? [...result.config.oidc.loginForwardParams] : result.problems;
    };
    expect(forwarded(undefined)).toEqual(['prompt', 'max_age', 'acr_values', 'login_hint', 'ui_locales']);
    expect(forwarded('prompt, login_hint')).toEqual(['prompt', 'login_hint']);
    expect(forwarded('')).toEqual([]);
    expect(forwarded('prompt,scope')).toEqual([
      'LOGIN_FORWARD_PARAMS.1: entries must be among prompt, max_age, acr_values, login_hint, ui_locales',
    ]);
  });
  it('leaves device binding off by default, and turns it on only for a secure PUBLIC_URL with a bound cookie of at most 10 minutes', () => {
    const on = (env: Record<string, string>) => loadAppConfig({ ...valid, SESSION_DEVICE_BINDING: 'on', ...env });
    const result = loadAppConfig(valid);
    expect(result.ok && result.config.session.deviceBinding).toEqual({ enabled: false, cookieLifetimeSeconds: 600 });
    const enabled = on({ SESSION_DEVICE_BINDING_COOKIE_LIFETIME: '300' });
    expect(enabled.ok && enabled.config.session.deviceBinding).toEqual({ enabled: true, cookieLifetimeSeconds: 300 });
    expect(on({ PUBLIC_URL: 'http://127.0.0.1:8000' }).ok).toBe(true);
    expect(problems(on({ PUBLIC_URL: 'http://app.example.com' }))).toEqual([
      'SESSION_DEVICE_BINDING: needs an https PUBLIC_URL (browsers bind sessions over https only; a loopback one is allowed for tests)',
    ]);
    expect(problems(on({ SESSION_DEVICE_BINDING_COOKIE_LIFETIME: '601' }))).toEqual(['SESSION_DEVICE_BINDING_COOKIE_LIFETIME: must be at most 600 seconds']);
    expect(problems(on({ SESSION_DEVICE_BINDING: 'yes' }))).toEqual(['SESSION_DEVICE_BINDING: must be on or off']);
  });
});
