import { startDevIdp, type DevIdpOptions } from '../dev/idp/dev-idp';

/**
 * The development IdP in a process of its own, for the refresh storm: in the bench process it would share an event
 * loop with the 200 requests being timed. Started with `fork` (IPC): options as argv[2] JSON; answers `counters`.
 */
export type IdpProcessMessage =
  | { type: 'ready'; issuer: string; clientId: string; clientSecret: string }
  | { type: 'counters'; id: number; refreshToken: number };

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as DevIdpOptions;
  const idp = await startDevIdp(options);
  process.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && 'type' in message && message.type === 'counters' && 'id' in message) {
      const reply: IdpProcessMessage = { type: 'counters', id: Number(message.id), refreshToken: idp.counters.refreshToken };
      process.send?.(reply);
    }
  });
  process.on('disconnect', () => process.exit(0));
  const ready: IdpProcessMessage = { type: 'ready', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret };
  process.send?.(ready);
}

main().catch((error: unknown) => {
  process.stderr.write(`idp process: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
