import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { composeModel, type ComposeModel } from './compose-model';
import type { ComposeValidator } from './compose-schema';
import { interpolateDeep } from './interpolate';

export const REPO_ROOT = join(__dirname, '..', '..');
export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');

/** The YAML as written, before interpolation. */
export function readComposeYaml(): unknown {
  return parse(readFileSync(COMPOSE_FILE, 'utf8'));
}

/** What `docker compose config` would see with these variables: interpolated, checked against the schema, typed. */
export function loadCompose(validate: ComposeValidator, variables: Readonly<Record<string, string | undefined>>): ComposeModel {
  const document = interpolateDeep(readComposeYaml(), variables);
  const problems = validate(document);
  if (problems.length) throw new Error(`docker-compose.yml does not follow the Compose Specification:\n${problems.join('\n')}`);
  return composeModel.parse(document);
}
