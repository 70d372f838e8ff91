import { startDevIdp } from './idp/dev-idp';
import { demoIdpRegistration } from './demo-settings';
import { untilSignalled } from './until-signalled';

/**
 * The development IdP alone, for the compose demo: IDP_HOST/IDP_PORT to bind, IDP_ISSUER as browsers reach it,
 * BFF_PUBLIC_URL for the redirect URIs, BFF_INTERNAL_URL for back-channel logout calls.
 */
async function main(): Promise<void> {
  const port = Number(process.env['IDP_PORT'] ?? 9000);
  const publicUrl = process.env['BFF_PUBLIC_URL'] ?? 'http://localhost:8000';
  const idp = await startDevIdp({
    port,
    host: process.env['IDP_HOST'] ?? '127.0.0.1',
    issuer: process.env['IDP_ISSUER'] ?? `http://127.0.0.1:${port}`,
    ...demoIdpRegistration(publicUrl, process.env['BFF_INTERNAL_URL'] ?? publicUrl),
  });
  process.stdout.write(`dev IdP: issuer ${idp.issuer}, client ${idp.clientId}, BFF at ${publicUrl}\n`);
  await untilSignalled();
  await idp.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`dev IdP: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
