import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REQUIRED_NODE_MAJOR, unsupportedNodeMessage } from './node-version';

describe('unsupportedNodeMessage', () => {
  it.each(['24.0.0', '24.21.0', '25.1.0', '30.0.0'])('accepts Node.js %s', (version) => {
    expect(unsupportedNodeMessage(version)).toBeUndefined();
  });

  it.each(['20.20.2', '22.12.0', '23.11.1', 'garbage'])('refuses Node.js %s in one line naming the version needed', (version) => {
    const message = unsupportedNodeMessage(version);
    expect(message).toContain(`Node.js ${REQUIRED_NODE_MAJOR} or later`);
    expect(message).toContain(version);
    expect(message).not.toContain('\n');
  });

  it('asks for the Node.js that package.json pins and its engines field names', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      engines: { node: string };
      devDependencies: { node: string };
    };
    expect(manifest.engines.node).toBe(`>=${REQUIRED_NODE_MAJOR}`);
    expect(manifest.devDependencies.node).toMatch(new RegExp(`^\\^${REQUIRED_NODE_MAJOR}\\.`));
  });
});
