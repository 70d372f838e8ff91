import { readFileSync } from 'node:fs';

/** .dockerignore rules (no `!` exceptions are used here): a path is left out when it or a parent matches a pattern. */
export function dockerignore(path: string): (candidate: string) => boolean {
  const patterns = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map(toRegExp);
  return (candidate) => {
    const segments = candidate.replace(/^\.\//, '').replace(/\/$/, '').split('/');
    return segments.some((_, index) => patterns.some((pattern) => pattern.test(segments.slice(0, index + 1).join('/'))));
  };
}

function toRegExp(pattern: string): RegExp {
  const source = pattern
    .replace(/^\//, '')
    .split('**/')
    .map((piece) => piece.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
    .join('(?:.*/)?');
  return new RegExp(`^${source}$`);
}
