/** The Node.js major this build runs on (package.json `engines`); undici and the code itself use what it brings. */
export const REQUIRED_NODE_MAJOR = 24;

/**
 * One line for a Node.js too old to run the BFF, or undefined when `version` (as in `process.versions.node`) will do.
 * Kept free of imports: main.ts runs it before loading anything that needs Node 24 (undici fails at import on 20).
 */
export function unsupportedNodeMessage(version: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= REQUIRED_NODE_MAJOR) return undefined;
  return (
    `fatal: bff-vault needs Node.js ${REQUIRED_NODE_MAJOR} or later, and this is Node.js ${version}: ` +
    `run node_modules/.bin/node dist/main.js (the project's pinned Node), or put node_modules/.bin first on PATH`
  );
}
