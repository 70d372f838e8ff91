// Validates Kubernetes objects against the API's JSON schemas, as the kubernetes-models package ships them (it is an
// ES module only, hence a process of its own). Reads a JSON array of objects on stdin; prints, as JSON, one list of
// problems per object (empty when valid).
import { text } from 'node:stream/consumers';

const objects = JSON.parse(await text(process.stdin)) as { apiVersion: string; kind: string }[];
const problems: string[][] = [];
for (const object of objects) {
  try {
    const models = (await import(`kubernetes-models/${object.apiVersion}`)) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = models[object.kind];
    if (!Model) throw new Error(`no model of ${object.kind} in ${object.apiVersion}`);
    new Model(object).validate();
    problems.push([]);
  } catch (error: unknown) {
    problems.push([error instanceof Error ? error.message : String(error)]);
  }
}
process.stdout.write(JSON.stringify(problems));
