/**
 * Compose's variable interpolation (Compose Specification, "Interpolation"): `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$VAR` and `$$` for a literal dollar. Applied to every string of
 * the parsed file, as Compose does before it validates the model.
 */
const REFERENCE = /\$(?:\$|\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_]\w*))/g;

export class InterpolationError extends Error {}

export function interpolate(value: string, variables: Readonly<Record<string, string | undefined>>): string {
  return value.replace(REFERENCE, (whole, braced: string | undefined, operator: string | undefined, argument: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare ?? '';
    const current = variables[name];
    const unset = operator?.startsWith(':') ? current === undefined || current === '' : current === undefined;
    if (operator?.endsWith('-')) return unset ? (argument ?? '') : (current ?? '');
    if (operator?.endsWith('?') && unset) throw new InterpolationError(`${name}: ${argument ?? 'required'}`);
    return current ?? '';
  });
}

/** Every string in a parsed YAML document, interpolated; keys stay as written. */
export function interpolateDeep(node: unknown, variables: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof node === 'string') return interpolate(node, variables);
  if (Array.isArray(node)) return node.map((item) => interpolateDeep(item, variables));
  if (typeof node === 'object' && node !== null) {
    return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, interpolateDeep(item, variables)]));
  }
  return node;
}
