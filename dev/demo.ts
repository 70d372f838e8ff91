import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevIdp } from './idp/dev-idp';
import { spawnBff, waitUntilHealthy, type BffProcess } from './bff-process';
import { demoBanner } from './demo-banner';
import { demoOptions } from './demo-options';
import { ensureDatabase } from '../src/database/ensure-database';
import { StartupError } from '../src/startup/startup-error';
import { assertRedisReachable } from './demo-services';
import { demoBffEnv, demoIdpRegistration, demoRoutes, EXAMPLE_SPA_DIR, REPO_ROOT } from './demo-settings';
import { startDemoUpstream } from './demo-upstream';
import { untilSignalled } from './until-signalled';

/**
 * `npm run demo`: the development IdP, the demo API and the BFF (serving the example SPA), all on this machine.
 * The BFF runs as a user runs it, `node dist/main.js` with its configuration in the environment.
 */
async function main(): Promise<void> {
  const options = demoOptions(process.env);
  const publicUrl = `http://localhost:${options.bffPort}`;
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  const stopRequested = untilSignalled();
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };

  try {
    await assertRedisReachable(options.redisUrl);
    // The BFF would create it too; checking here first stops the demo before it starts anything.
    const database = await ensureDatabase(options.databaseUrl, { create: true, variable: 'DEMO_DATABASE_URL' }).catch((error: unknown) => {
      throw error instanceof StartupError ? new Error(`${error.message} (DEMO_DATABASE_URL)`, { cause: error }) : error;
    });
    if (database === 'created') log(`created database ${new URL(options.databaseUrl).pathname.slice(1)}`);

    const idp = await listening('DEMO_IDP_PORT', startDevIdp({
      port: options.idpPort,
      ...demoIdpRegistration(publicUrl, `http://127.0.0.1:${options.bffPort}`),
    }));
    stops.push(() => idp.stop());
    const upstream = await listening('DEMO_UPSTREAM_PORT', startDemoUpstream(options.upstreamPort));
    stops.push(() => upstream.stop());

    const adminToken = randomBytes(24).toString('hex');
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      ...demoBffEnv({
        publicUrl,
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        upstreamUrl: upstream.url,
        spaDir: EXAMPLE_SPA_DIR,
      }),
      PORT: String(options.bffPort),
      HOST: '127.0.0.1',
      ADMIN_PORT: String(options.adminPort),
      ADMIN_TOKEN: adminToken,
      TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      REDIS_PREFIX: 'bff-demo:',
      LOG_LEVEL: options.logLevel,
    };
    // A directory without a .env file, so a developer's own .env cannot change the demo.
    const cwd = join(REPO_ROOT, '.dev-build');
    mkdirSync(cwd, { recursive: true });
    const routesFile = join(cwd, 'demo-routes.yaml');
    writeFileSync(routesFile, demoRoutes(upstream.url));
    env['ROUTES_FILE'] = routesFile;
    const bff = spawnBff(REPO_ROOT, env, cwd);
    stops.push(() => bff.stop());
    await waitUntilHealthy(bff, adminUrl);

    process.stdout.write(
      demoBanner({ publicUrl, adminUrl, adminToken, issuer: idp.issuer, upstreamUrl: upstream.url, databaseUrl: options.databaseUrl }),
    );
    await untilStopped(bff, stopRequested);
  } finally {
    await stopAll();
  }
}

/** Ends on Ctrl-C or SIGTERM (exit 0), or when the BFF dies by itself (exit 1). */
async function untilStopped(bff: BffProcess, stopRequested: Promise<NodeJS.Signals>): Promise<void> {
  const outcome = await Promise.race([stopRequested, bff.exited.then(() => 'exited' as const)]);
  if (outcome === 'exited') {
    process.exitCode = 1;
    log('the BFF stopped unexpectedly; stopping the demo');
  } else {
    log('stopping…');
  }
}

async function listening<T>(variable: string, starting: Promise<T>): Promise<T> {
  try {
    return await starting;
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      throw new Error(`${error.message}: the port is taken; choose another with ${variable}`, { cause: error });
    }
    throw error;
  }
}

function log(message: string): void {
  process.stdout.write(`demo: ${message}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
