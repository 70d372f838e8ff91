import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object, as `kubectl kustomize` prints it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

// The part of Kustomize these manifests use; a kustomization that asks for more fails here rather than render wrong.
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'patches']);

/**
 * Renders a kustomization directory the way `kustomize build` does, for the features deploy/kubernetes uses:
 * `resources` (files of one or more objects, and other kustomization directories) and `patches` given by `path`,
 * applied as strategic merge patches to the object of the same kind and name. No network, no binary: CI has neither.
 */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = asRecord(readYaml(file)[0], file);
  for (const field of Object.keys(kustomization)) {
    if (!SUPPORTED_FIELDS.has(field)) throw new Error(`${file}: "${field}" is not rendered by this test's Kustomize`);
  }
  if (kustomization['kind'] !== 'Kustomization') throw new Error(`${file}: not a Kustomization`);
  const objects = stringList(kustomization['resources'], file).flatMap((entry) => {
    const path = resolve(dir, entry);
    return statSync(path).isDirectory() ? renderKustomization(path) : readObjects(path);
  });
  for (const patch of patchFiles(kustomization['patches'], file)) {
    for (const document of readObjects(resolve(dir, patch))) {
      const index = objects.findIndex((object) => object.kind === document.kind && object.metadata.name === document.metadata.name);
      if (index === -1) throw new Error(`${patch}: no ${document.kind} ${document.metadata.name} to patch`);
      objects[index] = strategicMerge(objects[index], document, document.kind) as K8sObject;
    }
  }
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.name}`;
    if (seen.has(id)) throw new Error(`${dir}: ${id} is declared twice`);
    seen.add(id);
  }
  return objects;
}

// The merge keys of the lists these manifests patch (Kubernetes' patchMergeKey); other lists are replaced whole.
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
  topologySpreadConstraints: 'topologyKey',
};

/** Kubernetes' strategic merge patch, as far as used here: maps merge, `null` deletes, keyed lists merge by key. */
export function strategicMerge(target: unknown, patch: unknown, kind: string, field = ''): unknown {
  if (isRecord(target) && isRecord(patch)) {
    const merged: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else merged[key] = key in merged ? strategicMerge(merged[key], value, kind, key) : withoutNulls(value);
    }
    return merged;
  }
  const mergeKey = field === 'ports' ? (kind === 'Service' ? 'port' : 'containerPort') : MERGE_KEYS[field];
  if (Array.isArray(target) && Array.isArray(patch) && mergeKey !== undefined) {
    return mergeKeyedLists(target, patch, mergeKey, kind);
  }
  return withoutNulls(patch);
}

/** Kustomize's order: the patch's items (merged into their namesakes) first, then the target's others. */
function mergeKeyedLists(target: readonly unknown[], patch: readonly unknown[], mergeKey: string, kind: string): unknown[] {
  const keyOf = (item: unknown) => (isRecord(item) ? item[mergeKey] : undefined);
  const fromPatch = patch.map((item) => {
    const existing = target.find((candidate) => keyOf(candidate) === keyOf(item));
    return existing === undefined ? withoutNulls(item) : strategicMerge(existing, item, kind);
  });
  return [...fromPatch, ...target.filter((item) => !patch.some((candidate) => keyOf(candidate) === keyOf(item)))];
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== null).map(([key, entry]) => [key, withoutNulls(entry)]));
}

function readObjects(path: string): K8sObject[] {
  return readYaml(path).map((document) => {
    const object = asRecord(document, path);
    const metadata = object['metadata'];
    if (typeof object['apiVersion'] !== 'string' || typeof object['kind'] !== 'string' || !isRecord(metadata) || typeof metadata['name'] !== 'string') {
      throw new Error(`${path}: every document needs apiVersion, kind and metadata.name`);
    }
    return object as K8sObject;
  });
}

function readYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors.map((error) => error.message).join('; ')}`);
    return document.toJS() as unknown;
  });
}

function patchFiles(value: unknown, file: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${file}: patches must be a list`);
  return value.map((entry) => {
    if (!isRecord(entry) || typeof entry['path'] !== 'string' || Object.keys(entry).length !== 1) {
      throw new Error(`${file}: each patch must be { path } (targets and inline patches are not rendered here)`);
    }
    return entry['path'];
  });
}

function stringList(value: unknown, file: string): string[] {
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) throw new Error(`${file}: resources must be a list of paths`);
  return value;
}

function asRecord(value: unknown, file: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${file}: expected a YAML mapping`);
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
