import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';

/**
 * The Compose Specification's JSON schema (compose-spec/compose-spec, schema/compose-spec.json), as vendored by the
 * dclint package: the npm registry is the only one reachable here, and dclint keeps its copy current.
 */
export const COMPOSE_SCHEMA_PATH = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');

export type ComposeValidator = (document: unknown) => string[];

export function composeValidator(): ComposeValidator {
  const schema: unknown = JSON.parse(readFileSync(COMPOSE_SCHEMA_PATH, 'utf8'));
  if (typeof schema !== 'object' || schema === null) throw new Error('the Compose schema is not a JSON object');
  // The file declares draft-07 by an https URL that Ajv does not know by that spelling; the keywords are draft-07's.
  const draft07: Record<string, unknown> = { ...schema };
  delete draft07['$schema'];
  const validate = new Ajv({ allErrors: true, strict: false }).compile(draft07);
  return (document) => (validate(document) ? [] : (validate.errors ?? []).map(describe));
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || '/'} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)}`;
}
