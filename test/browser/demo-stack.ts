import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoBffEnv, demoIdpRegistration, demoRoutes, EXAMPLE_SPA_DIR } from '../../dev/demo-settings';
import { startDemoUpstream, type DemoUpstream } from '../../dev/demo-upstream';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { onFreePort } from '../support/free-port';
import { startTestApp, type TestApp } from '../support/test-app';

export interface DemoStack {
  app: TestApp;
  idp: DevIdp;
  upstream: DemoUpstream;
  /** `http://localhost:<port>`, as in `npm run demo`: the IdP lives on 127.0.0.1, another site. */
  publicUrl: string;
  stop(): Promise<void>;
}

/**
 * `npm run demo` in-process, on free ports: the dev IdP, the demo API and the BFF serving the example SPA, with the
 * demo's routes file. `extraRoutes` (YAML route entries) adds test-only routes after the demo's.
 */
export function startDemoStack(extraRoutes = ''): Promise<DemoStack> {
  return onFreePort((port) => startDemoStackOn(port, extraRoutes));
}

async function startDemoStackOn(port: number, extraRoutes: string): Promise<DemoStack> {
  const publicUrl = `http://localhost:${port}`;
  const idp = await startDevIdp(demoIdpRegistration(publicUrl, `http://127.0.0.1:${port}`));
  const upstream = await startDemoUpstream();
  const routesDir = await mkdtemp(join(tmpdir(), 'bff-demo-routes-'));
  const stopHelpers = async () => {
    await upstream.stop();
    await idp.stop();
    await rm(routesDir, { recursive: true, force: true });
  };
  const routesFile = join(routesDir, 'routes.yaml');
  await writeFile(routesFile, `${demoRoutes(upstream.url)}${extraRoutes}`);
  const app = await startTestApp({
    ...demoBffEnv({
      publicUrl,
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      upstreamUrl: upstream.url,
      spaDir: EXAMPLE_SPA_DIR,
    }),
    PORT: String(port),
    ROUTES_FILE: routesFile,
  }).catch(async (error: unknown) => {
    await stopHelpers();
    throw error;
  });
  return {
    app,
    idp,
    upstream,
    publicUrl,
    stop: async () => {
      await app.stop();
      await stopHelpers();
    },
  };
}
