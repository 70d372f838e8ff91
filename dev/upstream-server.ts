import { startDemoUpstream } from './demo-upstream';
import { untilSignalled } from './until-signalled';

/** The demo API alone, for the compose demo: UPSTREAM_HOST and UPSTREAM_PORT to bind. */
async function main(): Promise<void> {
  const upstream = await startDemoUpstream(Number(process.env['UPSTREAM_PORT'] ?? 9100), process.env['UPSTREAM_HOST'] ?? '127.0.0.1');
  process.stdout.write(`demo API listening on ${upstream.url}\n`);
  await untilSignalled();
  await upstream.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`demo API: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
