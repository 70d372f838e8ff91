import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  /** The arguments as written, continuation lines joined. */
  text: string;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

// Every instruction Docker knows (Dockerfile reference): any other first word stops `docker build`.
const INSTRUCTIONS = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/** Enough of the Dockerfile grammar for the deployment specs: comments, `\` continuations, ARG defaults, stages. */
export function readDockerfile(path: string): Dockerfile {
  const logical = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const dockerfile: Dockerfile = { args: {}, stages: [] };
  for (const line of logical) {
    const [, keyword = '', text = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), text };
    if (!INSTRUCTIONS.has(instruction.keyword)) throw new Error(`${path}: "${keyword}" is not a Dockerfile instruction (docker build stops there): ${line}`);
    const current = dockerfile.stages.at(-1);
    if (instruction.keyword === 'FROM') {
      const [, base = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(text) ?? [];
      dockerfile.stages.push({ name, base, instructions: [] });
    } else if (current) {
      current.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      const [name = '', value = ''] = text.split('=', 2);
      dockerfile.args[name] = value;
    }
  }
  return dockerfile;
}

/** `COPY [--from=x] [--chown=…] src… dest` → the sources, or undefined when the sources come from another stage. */
export function localCopySources(instruction: Instruction): string[] | undefined {
  const words = instruction.text.split(/\s+/);
  if (words.some((word) => word.startsWith('--from='))) return undefined;
  return words.filter((word) => !word.startsWith('--')).slice(0, -1);
}

/** The exec-form JSON array of CMD or HEALTHCHECK … CMD. */
export function execForm(text: string): string[] {
  const json = text.slice(text.indexOf('['));
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`not an exec form: ${text}`);
  return parsed;
}
