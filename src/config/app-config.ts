import { availableParallelism } from 'node:os';
import { envSchema, type Env } from './env.schema';
import { clientAuthSettings, readClientCredentials } from './client-credentials';
import type { ClientKey } from './client-key';
import { AUTH_PATHS } from '../common/public-surface';
import { tracingSettings } from './tracing-settings';

export type AppConfig = ReturnType<typeof toAppConfig>;
export type HttpConfig = AppConfig['http'];
export type AdminConfig = AppConfig['admin'];
export type OidcConfig = AppConfig['oidc'];
export type RedisConfig = AppConfig['redis'];
export type DatabaseConfig = AppConfig['database'];
export type SessionConfig = AppConfig['session'];
export type ConsumerConfig = AppConfig['consumer'];
export type ProxyConfig = AppConfig['proxy'];
export type RateLimitConfig = AppConfig['rateLimit'];
export type TracingConfig = AppConfig['tracing'];

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; problems: string[] };

/** Validates the environment once; problems name the variable and what is wrong, never its value. */
export function loadAppConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = envSchema.safeParse(env);
  const credentials = readClientCredentials(env);
  if (!parsed.success || credentials.problems.length > 0) {
    const problems = (parsed.error?.issues ?? []).map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const missing = env[name] === undefined || env[name] === '';
      const message = missing && issue.code === 'invalid_type' ? 'is required' : invalidMessage(issue);
      return `${issue.path.join('.') || name}: ${message}`;
    });
    return { ok: false, problems: [...new Set([...problems, ...credentials.problems])] };
  }
  return { ok: true, config: toAppConfig(parsed.data, credentials.key) };
}

function invalidMessage(issue: { message: string }): string {
  // zod's own type messages name types only, never the input; ours name the expected form.
  return issue.message.startsWith('Invalid input') ? 'has the wrong form' : issue.message;
}

function toAppConfig(env: Env, clientKey: ClientKey | undefined) {
  const publicUrl = new URL(env.PUBLIC_URL).origin;
  const secure = publicUrl.startsWith('https:');
  return {
    http: { port: env.PORT, host: env.HOST, publicUrl, secure, trustProxy: trustProxySetting(env.TRUST_PROXY) },
    admin: { port: env.ADMIN_PORT, host: env.ADMIN_HOST, token: env.ADMIN_TOKEN },
    log: { level: env.LOG_LEVEL },
    /** SIGTERM: in-flight requests get this long to finish before their connections are cut. */
    shutdown: { graceMs: env.SHUTDOWN_GRACE_SECONDS * 1000 },
    /** Processes serving both listeners (node:cluster); `auto` is one per CPU. */
    workers: { count: env.WORKERS === 'auto' ? availableParallelism() : Number(env.WORKERS) },
    oidc: {
      issuer: env.OIDC_ISSUER,
      clientId: env.OIDC_CLIENT_ID,
      clientAuth: clientAuthSettings(env.OIDC_TOKEN_ENDPOINT_AUTH_METHOD, env.OIDC_CLIENT_SECRET, clientKey),
      /** OIDC_CLIENT_PRIVATE_KEY_FILE's key, whose public half /auth/jwks serves (whatever the method). */
      clientKey,
      /** RFC 9126 pushed authorization requests: `auto` follows discovery's require_pushed_authorization_requests. */
      par: env.OIDC_PAR,
      redirectUri: env.OIDC_REDIRECT_URI ?? `${publicUrl}${AUTH_PATHS.callback}`,
      scopes: env.OIDC_SCOPES,
      responseMode: env.OIDC_RESPONSE_MODE,
      audience: env.OIDC_AUDIENCE,
      clientCredentialsScopes: env.OIDC_CLIENT_CREDENTIALS_SCOPES ?? [],
      userinfo: env.OIDC_USERINFO,
      /** RFC 9449: new sessions' and client-credentials tokens are bound to a key of the BFF's (OIDC_DPOP). */
      dpop: env.OIDC_DPOP === 'on',
      extraIssuers: env.BEARER_EXTRA_ISSUERS ?? [],
      postLogoutRedirectUri: env.POST_LOGOUT_REDIRECT_URI ?? `${publicUrl}/`,
      loginForwardParams: new Set(env.LOGIN_FORWARD_PARAMS),
    },
    redis: {
      url: env.REDIS_URL,
      sentinels: env.REDIS_SENTINELS?.map(toHostPort),
      sentinelName: env.REDIS_SENTINEL_NAME,
      clusterNodes: env.REDIS_CLUSTER_NODES?.map(toHostPort),
      prefix: env.REDIS_PREFIX,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    },
    database: { url: env.DATABASE_URL, migrationsRun: env.DB_MIGRATIONS_RUN },
    session: {
      encryptionKeys: env.TOKEN_ENCRYPTION_KEYS.map((key) => Buffer.from(key, 'base64')),
      cookieName: env.SESSION_COOKIE_NAME ?? (secure ? '__Host-bff-session' : 'bff-session'),
      cookieSecure: secure,
      idleTimeoutSeconds: env.SESSION_IDLE_TIMEOUT,
      absoluteTimeoutSeconds: env.SESSION_ABSOLUTE_TIMEOUT,
      refreshSkewSeconds: env.TOKEN_REFRESH_SKEW,
      csrfHeader: env.CSRF_HEADER.toLowerCase(),
      /** Device Bound Session Credentials (W3C webappsec-dbsc): see src/device-binding/. */
      deviceBinding: { enabled: env.SESSION_DEVICE_BINDING === 'on', cookieLifetimeSeconds: env.SESSION_DEVICE_BINDING_COOKIE_LIFETIME },
    },
    consumer: {
      claim: env.CONSUMER_CLAIM,
      by: env.CONSUMER_BY,
      optional: env.CONSUMER_OPTIONAL,
      autoCreate: env.CONSUMER_AUTO_CREATE,
      anonymous: env.ANONYMOUS_CONSUMER,
      groupsClaim: env.GROUPS_CLAIM,
    },
    proxy: {
      upstreamUrl: env.UPSTREAM_URL,
      routesFile: env.ROUTES_FILE,
      upstreamHeaders: env.UPSTREAM_HEADERS ?? [],
      spaDir: env.SPA_DIR,
    },
    rateLimit: {
      login: env.RATE_LIMIT_LOGIN,
      admin: env.RATE_LIMIT_ADMIN,
      adminAuthFailures: env.RATE_LIMIT_ADMIN_AUTH_FAILURES,
      credentialFailures: env.RATE_LIMIT_CREDENTIAL_FAILURES,
    },
    /** OpenTelemetry span export (OTEL_*); trace context is continued upstream whether or not it is on. */
    tracing: tracingSettings(env),
  };
}

/** Express's `trust proxy`: whom to believe about the client address in X-Forwarded-For. */
function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

function toHostPort(entry: string): { host: string; port: number } {
  const separator = entry.lastIndexOf(':');
  return { host: entry.slice(0, separator), port: Number(entry.slice(separator + 1)) };
}
