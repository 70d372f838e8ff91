import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './compose-file';
import type { K8sObject } from './kustomize';

/** Each object's problems against the Kubernetes API's JSON schemas (kubernetes-models' validators). */
export function schemaProblems(objects: readonly K8sObject[]): string[][] {
  const run = spawnSync(process.execPath, ['--no-warnings', join(__dirname, 'kubernetes-schema.mts')], {
    cwd: REPO_ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`the schema check failed to run: ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

/**
 * Fields the Kubernetes API does not know (a typo such as `readinesProbe`): the API's schemas allow them, the API server
 * warns or refuses. Each object becomes a literal typed with kubernetes-models' interface for its kind, and TypeScript's
 * excess-property check names every unknown field, at any depth.
 */
export function unknownFieldProblems(objects: readonly K8sObject[]): string[] {
  // Inside the repository, so that the file resolves kubernetes-models from node_modules.
  mkdirSync(join(REPO_ROOT, 'test-output'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, 'test-output', 'k8s-types-'));
  try {
    const file = join(dir, 'objects.mts');
    const lines = objects.flatMap((object, index) => [
      `import type { I${object.kind} as T${index} } from 'kubernetes-models/${object.apiVersion}/${object.kind}';`,
      `export const object${index}: T${index} = ${JSON.stringify(object)};`,
    ]);
    writeFileSync(file, lines.join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `kubectl kustomize <dir>`, parsed, where kubectl is installed (CI machines need not have it). */
export function kubectlKustomize(dir: string): string | undefined {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (run.error) return undefined;
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr}`);
  return run.stdout;
}
