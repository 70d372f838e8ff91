import { z } from 'zod';
import { exchangeTargetOf } from '../../token-exchange/exchange-target';
import { ROUTE_AUTH_MODES, ROUTE_DPOP_MODES, ROUTE_TOKENS, type Route } from './route';

export const DEFAULT_MAX_CONNECTIONS = 128;

const SEGMENTS = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]+(?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@]+)*)?$/;

// One problem per field is enough: each check aborts the rest.
const routePath = z
  .string({ error: 'must be a path starting with /' })
  .startsWith('/', { error: 'must start with /', abort: true })
  .refine((path) => !/[?#%\\]/.test(path), { error: 'must not hold ? # % or \\', abort: true })
  .refine((path) => path === '/' || !path.endsWith('/'), { error: 'must not end with / (except the root path /)', abort: true })
  .refine((path) => !path.split('/').some((segment) => segment === '.' || segment === '..'), {
    error: 'must not hold . or .. segments',
    abort: true,
  })
  .refine((path) => !path.includes('//'), { error: 'must not hold empty segments (//)', abort: true })
  .regex(SEGMENTS, { error: 'must hold only URL path characters' });

const upstream = z
  .string({ error: 'must be an http(s) URL' })
  .transform((value, ctx) => {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' });
      return z.NEVER;
    }
    if (url.username || url.password || url.search || url.hash || value.includes('?') || value.includes('#')) {
      ctx.addIssue({ code: 'custom', message: 'must not carry credentials, a query or a fragment' });
      return z.NEVER;
    }
    return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
  });

// Each value goes into acr_values (space-separated) and a quoted WWW-Authenticate parameter; /auth/login takes 255 characters.
const acrValues = z
  .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'entries must be printable ASCII without spaces, quotes or backslashes'), {
    error: 'must be a list of acr values',
  })
  .min(1, 'must list at least one acr value')
  .refine((values) => values.join(' ').length <= 255, 'must total at most 255 characters, spaces included');

const names = z.array(z.string().min(1, 'entries must not be empty'), { error: 'must be a list of strings' });

// RFC 6749 §3.3 scope-token; audiences are sent as form parameters, so only printable characters.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const PRINTABLE = /^[\x21-\x7e]+$/;

/** RFC 8693 §2.1: `audience`, `resource` (an absolute URI) and `scope`, at least one; scopes as a list or one string. */
const tokenExchange = z
  .strictObject(
    {
      audience: z.string({ error: 'must be a string' }).regex(PRINTABLE, 'must be printable ASCII without spaces').optional(),
      resource: z
        .string({ error: 'must be an absolute URI' })
        .refine((value) => PRINTABLE.test(value) && URL.canParse(value) && !value.includes('#'), 'must be an absolute URI without a fragment')
        .optional(),
      scope: z
        .union([z.string(), z.array(z.string())], { error: 'must be a string or a list of scopes' })
        .transform((value) => [value].flat().flatMap((entry) => entry.split(' ')).filter((entry) => entry !== ''))
        .refine((scopes) => scopes.length > 0 && scopes.every((scope) => SCOPE_TOKEN.test(scope)), 'must list scopes of printable ASCII, without quotes or backslashes')
        .transform((scopes) => scopes.join(' '))
        .optional(),
    },
    { error: 'must be a mapping of audience, resource and scope' },
  )
  .refine((target) => target.audience !== undefined || target.resource !== undefined || target.scope !== undefined, {
    error: 'must name an audience, a resource or a scope',
    // Not on top of another problem (an unknown field) of the same mapping.
    when: (payload) => payload.issues.length === 0,
  })
  .transform(exchangeTargetOf);

export const routeEntrySchema = z
  .strictObject(
    {
      path: routePath,
      upstream,
      strip_path: z.boolean({ error: 'must be true or false' }).default(true),
      auth: z.enum(ROUTE_AUTH_MODES, { error: `must be one of ${ROUTE_AUTH_MODES.join(', ')}` }).default('any'),
      groups: names.optional(),
      scopes: names.optional(),
      audience: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
      acr: acrValues.optional(),
      max_age: z
        .number({ error: 'must be a whole number of seconds' })
        .int('must be a whole number of seconds')
        .min(0, 'must not be negative')
        .optional(),
      token: z.enum(ROUTE_TOKENS, { error: `must be one of ${ROUTE_TOKENS.join(', ')}` }).default('access'),
      timeout_ms: z
        .number({ error: 'must be a positive whole number of milliseconds' })
        .int('must be a positive whole number of milliseconds')
        .positive('must be a positive whole number of milliseconds')
        .default(30_000),
      websocket: z.boolean({ error: 'must be true or false' }).default(true),
      max_connections: z
        .number({ error: 'must be a positive whole number' })
        .int('must be a positive whole number')
        .positive('must be a positive whole number')
        .max(10_000, 'must be at most 10000')
        .default(DEFAULT_MAX_CONNECTIONS),
      dpop: z.enum(ROUTE_DPOP_MODES, { error: `must be one of ${ROUTE_DPOP_MODES.join(', ')}` }).default('off'),
      token_exchange: tokenExchange.optional(),
    },
    { error: 'must be a mapping' },
  )
  .superRefine((entry, ctx) => {
    // DPoP binds tokens that callers present: a route that takes no bearer token has nothing to bind.
    if (entry.dpop !== 'off' && entry.auth !== 'bearer' && entry.auth !== 'any') {
      ctx.addIssue({ code: 'custom', path: ['dpop'], message: `cannot be combined with auth: ${entry.auth}` });
    }
    if (entry.token_exchange === undefined) return;
    // The exchange's subject is the caller's access token: a route that sends the ID token, or has no caller, has none.
    if (entry.token === 'id') ctx.addIssue({ code: 'custom', path: ['token_exchange'], message: 'cannot be combined with token: id' });
    if (entry.auth === 'none') ctx.addIssue({ code: 'custom', path: ['token_exchange'], message: 'cannot be combined with auth: none' });
  })
  .transform(
    (entry): Route => ({
      path: entry.path,
      origin: entry.upstream.origin,
      basePath: entry.upstream.basePath,
      stripPath: entry.strip_path,
      auth: entry.auth,
      token: entry.token,
      timeoutMs: entry.timeout_ms,
      websocket: entry.websocket,
      maxConnections: entry.max_connections,
      dpop: entry.dpop,
      ...(entry.groups ? { groups: entry.groups } : {}),
      ...(entry.scopes ? { scopes: entry.scopes } : {}),
      ...(entry.audience !== undefined ? { audience: entry.audience } : {}),
      ...(entry.acr ? { acr: entry.acr } : {}),
      ...(entry.max_age !== undefined ? { maxAge: entry.max_age } : {}),
      ...(entry.token_exchange ? { tokenExchange: entry.token_exchange } : {}),
    }),
  );

export const routeFileSchema = z.strictObject(
  { routes: z.array(routeEntrySchema, { error: 'must be a list of routes' }) },
  { error: 'must be a mapping with a routes list' },
);
