import { z } from 'zod';
import { CLIENT_AUTH_METHODS } from './client-credentials';
import { extraIssuers } from './extra-issuers';
import { LOGIN_PARAMETERS } from './login-parameter-names';

// Messages name what is wrong, never the value: several of these variables are secrets.
const port = z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be 0-65535').max(65535, 'must be 0-65535');
const seconds = z.coerce.number().int('must be a whole number of seconds').positive('must be positive');
const bool = z.stringbool({ error: 'must be true or false' });
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const list = (separator: RegExp) =>
  z
    .string()
    .transform((value) => value.split(separator).map((item) => item.trim()).filter(Boolean));

const hostPorts = list(/,/).pipe(
  z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port entries separated by commas')).min(1, 'must list at least one host:port'),
);

const encryptionKeys = list(/,/).pipe(
  z
    .array(
      z.string().refine((key) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(key) && Buffer.from(key, 'base64').length === 32, {
        error: 'every key must be base64 of exactly 32 bytes',
      }),
    )
    .min(1, 'must hold at least one key'),
);

const claimHeaders = list(/,/).pipe(
  z.array(
    z
      .string()
      .regex(/^[\w.-]+:[A-Za-z0-9-]+$/, 'must be claim:Header-Name pairs separated by commas')
      .transform((pair) => {
        const [claim, header] = pair.split(':') as [string, string];
        return { claim, header: header.toLowerCase() };
      }),
  ),
);

/** `<requests>/<seconds>` per client IP (`30/60`: 30 a minute), or `off`. */
const rateLimit = (fallback: string) =>
  z
    .preprocess((value) => (value === '' ? undefined : value), z.string().default(fallback))
    .pipe(
      z
        .string()
        .trim()
        .regex(/^(off|[1-9]\d{0,6}\/[1-9]\d{0,6})$/i, 'must be <requests>/<seconds> such as 30/60, or off')
        .transform((value) => {
          if (value.toLowerCase() === 'off') return undefined;
          const [limit = 0, seconds = 0] = value.split('/').map(Number);
          return { limit, windowMs: seconds * 1000 };
        }),
    );

// Unlike the other lists, an empty value means "none": the operator switched every one of them off.
const loginParameters = z
  .string()
  .default(LOGIN_PARAMETERS.join(','))
  .transform((value) => value.split(/[\s,]+/).filter(Boolean))
  .pipe(z.array(z.enum(LOGIN_PARAMETERS, { error: `entries must be among ${LOGIN_PARAMETERS.join(', ')}` })));

const positiveInt = z.coerce.number().int('must be a whole number').positive('must be positive');
const protocol = z.enum(['http/protobuf', 'http/json'], { error: 'must be http/protobuf or http/json (grpc is not supported)' });
const compression = z.enum(['gzip', 'none'], { error: 'must be gzip or none' });
// `key=value` pairs separated by commas (W3C Baggage form); the message never repeats a value (headers hold API keys).
const keyValuePairs = z.string().regex(/^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*\s*$/, 'must be key=value pairs separated by commas');
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/** The standard OpenTelemetry variables the BFF reads (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). */
const otelEnv = {
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { error: 'must be otlp or none' }).default('otlp'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(httpUrl),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(httpUrl),
  OTEL_EXPORTER_OTLP_PROTOCOL: optional(protocol),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optional(protocol),
  OTEL_EXPORTER_OTLP_HEADERS: optional(keyValuePairs),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: optional(keyValuePairs),
  OTEL_EXPORTER_OTLP_TIMEOUT: optional(positiveInt),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: optional(positiveInt),
  OTEL_EXPORTER_OTLP_COMPRESSION: optional(compression),
  OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: optional(compression),
  OTEL_SERVICE_NAME: optional(z.string()),
  OTEL_RESOURCE_ATTRIBUTES: optional(keyValuePairs),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS, { error: `must be one of ${SAMPLERS.join(', ')}` }).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: optional(z.coerce.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1')),
  OTEL_BSP_SCHEDULE_DELAY: optional(positiveInt),
  OTEL_BSP_EXPORT_TIMEOUT: optional(positiveInt),
  OTEL_BSP_MAX_QUEUE_SIZE: optional(positiveInt),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: optional(positiveInt),
};

export const envSchema = z
  .object({
    PORT: port.default(8000),
    HOST: z.string().min(1).default('0.0.0.0'),
    ADMIN_PORT: port.default(8001),
    ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
    ADMIN_TOKEN: z
      .string({ error: 'is required' })
      .min(32, 'must be at least 32 characters')
      .regex(/^\S+$/, 'must not contain whitespace'),
    PUBLIC_URL: httpUrl,
    TRUST_PROXY: z
      .string()
      .regex(/^(true|false|\d+|[\w.:/,\s-]+)$/, 'must be true, false, a hop count, or addresses/subnets separated by commas')
      .default('false'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_GRACE_SECONDS: z.coerce.number().int('must be a whole number of seconds').min(0, 'must not be negative').default(10),
    WORKERS: z.string().regex(/^(auto|[1-9]\d{0,2})$/, 'must be auto or a whole number from 1 to 999').default('1'),

    OIDC_ISSUER: httpUrl,
    OIDC_CLIENT_ID: z.string({ error: 'is required' }).min(1, 'is required'),
    // Required unless the method is private_key_jwt: see client-credentials.ts.
    OIDC_CLIENT_SECRET: optional(z.string()),
    OIDC_CLIENT_PRIVATE_KEY_FILE: optional(z.string()),
    OIDC_REDIRECT_URI: optional(httpUrl),
    OIDC_SCOPES: list(/[\s,]+/)
      .default(['openid', 'profile', 'email', 'offline_access'])
      .pipe(z.array(z.string()).refine((scopes) => scopes.includes('openid'), 'must include openid')),
    OIDC_TOKEN_ENDPOINT_AUTH_METHOD: z
      .enum(CLIENT_AUTH_METHODS, { error: `must be one of ${CLIENT_AUTH_METHODS.join(', ')}` })
      .default('client_secret_basic'),
    OIDC_PAR: z.enum(['auto', 'on', 'off'], { error: 'must be auto, on or off' }).default('auto'),
    OIDC_RESPONSE_MODE: z.enum(['query', 'form_post'], { error: 'must be query or form_post' }).default('query'),
    OIDC_AUDIENCE: optional(z.string().min(1)),
    OIDC_CLIENT_CREDENTIALS_SCOPES: optional(list(/[\s,]+/)),
    OIDC_USERINFO: bool.default(false),
    OIDC_DPOP: z.enum(['off', 'on'], { error: 'must be off or on' }).default('off'),
    BEARER_EXTRA_ISSUERS: optional(extraIssuers),
    POST_LOGOUT_REDIRECT_URI: optional(httpUrl),
    LOGIN_FORWARD_PARAMS: loginParameters,

    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
    REDIS_SENTINELS: optional(hostPorts),
    REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
    REDIS_CLUSTER_NODES: optional(hostPorts),
    REDIS_PREFIX: z.string().regex(/^[\w:.-]*$/, 'may hold only letters, digits and _ : . -').default('bff:'),
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().positive('must be positive').default(2000),

    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
      .default('postgres://postgres@127.0.0.1:5432/bff'),
    DB_MIGRATIONS_RUN: bool.default(true),

    TOKEN_ENCRYPTION_KEYS: z.string({ error: 'is required' }).pipe(encryptionKeys),
    SESSION_COOKIE_NAME: optional(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a valid cookie name')),
    SESSION_IDLE_TIMEOUT: seconds.default(1800),
    SESSION_ABSOLUTE_TIMEOUT: seconds.default(28800),
    TOKEN_REFRESH_SKEW: z.coerce.number().int('must be whole seconds').min(0, 'must not be negative').default(60),
    CSRF_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name').default('X-CSRF'),
    SESSION_DEVICE_BINDING: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
    // The contract caps the bound cookie at 10 minutes: a copied one is worth no more than that.
    SESSION_DEVICE_BINDING_COOKIE_LIFETIME: seconds.max(600, 'must be at most 600 seconds').default(600),

    CONSUMER_CLAIM: z.string().min(1).default('sub'),
    CONSUMER_BY: list(/,/)
      .default(['custom_id', 'username'])
      .pipe(z.array(z.enum(['id', 'custom_id', 'username'], { error: 'entries must be id, custom_id or username' })).min(1, 'must not be empty')),
    CONSUMER_OPTIONAL: bool.default(false),
    CONSUMER_AUTO_CREATE: bool.default(false),
    ANONYMOUS_CONSUMER: optional(z.string().min(1)),
    GROUPS_CLAIM: z.string().min(1).default('groups'),

    UPSTREAM_URL: optional(httpUrl),
    ROUTES_FILE: optional(z.string().min(1)),
    UPSTREAM_HEADERS: optional(claimHeaders),
    SPA_DIR: optional(z.string().min(1)),

    RATE_LIMIT_LOGIN: rateLimit('60/60'),
    RATE_LIMIT_ADMIN: rateLimit('600/60'),
    RATE_LIMIT_ADMIN_AUTH_FAILURES: rateLimit('30/300'),
    RATE_LIMIT_CREDENTIAL_FAILURES: rateLimit('30/60'),

    ...otelEnv,
  })
  .superRefine((env, ctx) => {
    if (env.SESSION_IDLE_TIMEOUT > env.SESSION_ABSOLUTE_TIMEOUT) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_IDLE_TIMEOUT'], message: 'must not exceed SESSION_ABSOLUTE_TIMEOUT' });
    }
    if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'cannot be combined with REDIS_SENTINELS' });
    }
    if (env.SESSION_COOKIE_NAME && /^__(Host|Secure)-/.test(env.SESSION_COOKIE_NAME) && !env.PUBLIC_URL.startsWith('https:')) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_COOKIE_NAME'], message: 'a __Host- or __Secure- name needs an https PUBLIC_URL (browsers drop it otherwise)' });
    }
    if (env.BEARER_EXTRA_ISSUERS?.some(({ issuer }) => issuer === env.OIDC_ISSUER)) {
      ctx.addIssue({ code: 'custom', path: ['BEARER_EXTRA_ISSUERS'], message: 'must not name OIDC_ISSUER, whose tokens are accepted already' });
    }
    if (env.SESSION_DEVICE_BINDING === 'on' && !isSecureContext(env.PUBLIC_URL)) {
      ctx.addIssue({ code: 'custom', path: ['SESSION_DEVICE_BINDING'], message: 'needs an https PUBLIC_URL (browsers bind sessions over https only; a loopback one is allowed for tests)' });
    }
    if (env.PORT !== 0 && env.PORT === env.ADMIN_PORT) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_PORT'], message: 'must differ from PORT' });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** https, or a loopback host: the draft allows DBSC on localhost too, though Chrome 156 runs it over https only. */
function isSecureContext(publicUrl: string): boolean {
  const { protocol, hostname } = new URL(publicUrl);
  return protocol === 'https:' || hostname === 'localhost' || hostname.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '[::1]';
}
