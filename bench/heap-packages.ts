import { readFileSync } from 'node:fs';

/** What a heap snapshot holds, grouped: module code by npm package (or `src` for the BFF's own), the rest by V8 type. */
export interface HeapGroups {
  totalBytes: number;
  /** Source text, function metadata and bytecode of the modules loaded, by package. */
  codeByPackage: Map<string, number>;
  /** Every node's self size by V8 node type (`string`, `object`, `code`, `closure`, …). */
  byType: Map<string, number>;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[]; node_types: [string[]]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * Reads a `.heapsnapshot` (as `--heapsnapshot-signal` writes it). A module's code is attributed through V8's Script
 * objects: the script's `source` string, and every SharedFunctionInfo pointing at the script with its bytecode.
 */
export function heapGroups(file: string): HeapGroups {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const { meta } = heap.snapshot;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const field = (name: string) => meta.node_fields.indexOf(name);
  const [typeAt, nameAt, sizeAt, edgeCountAt] = [field('type'), field('name'), field('self_size'), field('edge_count')];
  const [edgeTypeAt, edgeNameAt, edgeToAt] = ['type', 'name_or_index', 'to_node'].map((name) => meta.edge_fields.indexOf(name));
  const nodeTypes = meta.node_types[0];
  const propertyEdge = new Set(['property', 'internal', 'hidden', 'shortcut', 'weak', 'context'].map((type) => meta.edge_types[0].indexOf(type)));
  const count = heap.nodes.length / nodeWidth;
  const firstEdge = new Uint32Array(count + 1);
  for (let node = 0; node < count; node += 1) firstEdge[node + 1] = firstEdge[node] + heap.nodes[node * nodeWidth + edgeCountAt] * edgeWidth;
  const edgesOf = function* (node: number): Generator<{ name: string; to: number }> {
    for (let edge = firstEdge[node]; edge < firstEdge[node + 1]; edge += edgeWidth) {
      const type = heap.edges[edge + edgeTypeAt];
      const name = propertyEdge.has(type) ? heap.strings[heap.edges[edge + edgeNameAt]] : String(heap.edges[edge + edgeNameAt]);
      yield { name, to: heap.edges[edge + edgeToAt] / nodeWidth };
    }
  };
  const nameOf = (node: number) => heap.strings[heap.nodes[node * nodeWidth + nameAt]];
  const sizeOf = (node: number) => heap.nodes[node * nodeWidth + sizeAt];

  const byType = new Map<string, number>();
  let totalBytes = 0;
  const scriptPackage = new Map<number, string>();
  for (let node = 0; node < count; node += 1) {
    const type = nodeTypes[heap.nodes[node * nodeWidth + typeAt]];
    byType.set(type, (byType.get(type) ?? 0) + sizeOf(node));
    totalBytes += sizeOf(node);
    // A Script is a `code` node named after its file, with an edge to its source text.
    if (type === 'code' && [...edgesOf(node)].some((edge) => edge.name === 'source')) scriptPackage.set(node, packageOf(nameOf(node)));
  }
  const codeByPackage = new Map<string, number>();
  const counted = new Set<number>();
  const addOnce = (pkg: string, node: number) => {
    if (counted.has(node)) return;
    counted.add(node);
    codeByPackage.set(pkg, (codeByPackage.get(pkg) ?? 0) + sizeOf(node));
  };
  for (const [script, pkg] of scriptPackage) {
    addOnce(pkg, script);
    for (const edge of edgesOf(script)) if (edge.name === 'source') addOnce(pkg, edge.to);
  }
  // A SharedFunctionInfo points at its script; its bytecode, scope and feedback metadata are the function's code.
  for (let node = 0; node < count; node += 1) {
    if (nodeTypes[heap.nodes[node * nodeWidth + typeAt]] !== 'code') continue;
    const edges = [...edgesOf(node)];
    const script = edges.find((edge) => edge.name === 'script')?.to;
    const pkg = script === undefined ? undefined : scriptPackage.get(script);
    if (pkg === undefined) continue;
    addOnce(pkg, node);
    for (const edge of edges) if (FUNCTION_PARTS.has(edge.name)) addOnce(pkg, edge.to);
  }
  return { totalBytes, codeByPackage, byType };
}

const FUNCTION_PARTS = new Set(['trusted_function_data', 'function_data', 'raw_outer_scope_info_or_feedback_metadata', 'name_or_scope_info']);

/** `…/node_modules/@nestjs/core/x.js` → `@nestjs/core`; the BFF's own `dist/` → `bff (dist)`; Node's → `node:internal`. */
export function packageOf(location: string): string {
  const path = location.replace(/^file:\/\//, '');
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path.split('node_modules/').length > 2 ? path.slice(path.lastIndexOf('node_modules/')) : path);
  if (inModules) return inModules[1];
  if (path.includes('/dist/')) return 'bff (dist)';
  if (path.startsWith('node:') || !path.startsWith('/')) return 'node:internal';
  return 'other';
}
