import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The folders of src/ a file imports from, read from its import statements (type-only imports count too). */
function foldersImportedBy(folder: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const name of readdirSync(join(__dirname, folder))) {
    if (!name.endsWith('.ts') || name.endsWith('.spec.ts')) continue;
    const text = readFileSync(join(__dirname, folder, name), 'utf8');
    const folders = [...text.matchAll(/from '\.\.\/([\w-]+)\//g)].map((match) => match[1] ?? '');
    found.set(`${folder}/${name}`, [...new Set(folders)]);
  }
  return found;
}

describe('the direction of dependencies between folders', () => {
  it.each([
    ['common', []],
    ['security', ['common']],
    ['identity', ['config']],
  ])('%s/ imports from no folder but %j', (folder, allowed) => {
    for (const [file, folders] of foldersImportedBy(folder)) {
      expect([file, folders.filter((imported) => !allowed.includes(imported))]).toEqual([file, []]);
    }
  });
});
