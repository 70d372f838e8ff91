/** What the demo API tells the browser about the bearer it received: enough to see it is real, never the token. */
export interface BearerSummary {
  scheme: string;
  length: number;
  /** The first few characters only (of a JWT: its header, which is not secret), e.g. `eyJhbGciOi`. */
  prefix: string;
  /** A few non-secret claims of a JWT access token; absent for opaque tokens. */
  claims?: Record<string, string | number | string[]>;
}

const SHOWN_CLAIMS = ['iss', 'aud', 'sub', 'scope', 'client_id', 'exp', 'iat'];
const PREFIX_CHARACTERS = 10;

export function summarizeAuthorization(header: string | undefined): BearerSummary | null {
  if (!header) return null;
  const [scheme = '', token = ''] = header.split(' ', 2);
  const summary: BearerSummary = {
    scheme,
    length: token.length,
    prefix: token.slice(0, Math.min(PREFIX_CHARACTERS, Math.floor(token.length / 4))),
  };
  const claims = jwtClaims(token);
  return claims ? { ...summary, claims } : summary;
}

function jwtClaims(token: string): Record<string, string | number | string[]> | undefined {
  const [, payload] = token.split('.');
  if (payload === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const shown: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!SHOWN_CLAIMS.includes(name)) continue;
    if (typeof value === 'string' || typeof value === 'number') shown[name] = value;
    else if (Array.isArray(value)) shown[name] = value.filter((item): item is string => typeof item === 'string');
  }
  return shown;
}
