import { readFileSync } from 'node:fs';
import { parse } from 'dotenv';

export interface EnvFile {
  /** Variables the file sets (blank ones included), as Compose and dotenv read them. */
  values: Record<string, string>;
  /** Variables that appear only commented out (`# NAME=value`), the way .env.example documents optional ones. */
  documented: string[];
}

const COMMENTED = /^#\s*([A-Z][A-Z0-9_]*)=/;

export function readEnvFile(path: string): EnvFile {
  const text = readFileSync(path, 'utf8');
  const values = parse(text);
  const documented = text
    .split('\n')
    .map((line) => COMMENTED.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined && !(name in values));
  return { values, documented };
}
