import { unsupportedNodeMessage } from './node-version';

// Imported first by main.ts, so an old Node stops here with one line instead of a TypeError inside undici.
const problem = unsupportedNodeMessage(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
