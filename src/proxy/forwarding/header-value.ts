/* eslint-disable no-control-regex -- these patterns exist to find control characters */
// Controls (but tab) would split or end the header line; undici refuses them, and anything above U+00FF, outright.
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
const NON_ASCII = /[^\u0000-\u007f]/;
/* eslint-enable no-control-regex */

/**
 * Makes an identity value (a claim, a consumer name) safe as a header value: controls removed, and non-ASCII text
 * sent as its UTF-8 bytes (obs-text), the way Kong and oauth2-proxy put UTF-8 on the wire.
 */
export function toHeaderValue(value: string): string {
  const clean = value.replace(CONTROLS, '');
  return NON_ASCII.test(clean) ? Buffer.from(clean, 'utf8').toString('latin1') : clean;
}

/** A claim as a header value: strings as they are, numbers and booleans as text, arrays of those joined with `,`. */
export function claimHeaderValue(claim: unknown): string | undefined {
  if (Array.isArray(claim)) {
    const items = claim.map((item: unknown) => scalarValue(item)).filter((item) => item !== undefined);
    return items.length > 0 ? items.join(',') : undefined;
  }
  return scalarValue(claim);
}

function scalarValue(value: unknown): string | undefined {
  if (typeof value === 'string') return toHeaderValue(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
