export interface DemoOptions {
  bffPort: number;
  adminPort: number;
  idpPort: number;
  upstreamPort: number;
  databaseUrl: string;
  redisUrl: string;
  logLevel: string;
}

/** Fixed ports by default, since the IdP's redirect URIs name the BFF's; each one can be moved by environment. */
export function demoOptions(env: NodeJS.ProcessEnv): DemoOptions {
  return {
    bffPort: port(env, 'DEMO_PORT', 8000),
    adminPort: port(env, 'DEMO_ADMIN_PORT', 8001),
    idpPort: port(env, 'DEMO_IDP_PORT', 9000),
    upstreamPort: port(env, 'DEMO_UPSTREAM_PORT', 9100),
    databaseUrl: env['DEMO_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/bff_demo',
    redisUrl: env['DEMO_REDIS_URL'] || 'redis://127.0.0.1:6379',
    logLevel: env['LOG_LEVEL'] || 'warn',
  };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number (1-65535)`);
  return value;
}
