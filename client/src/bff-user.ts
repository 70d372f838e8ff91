/** `GET /auth/user`: who is signed in, never a token. */
export interface BffUser {
  sub: string;
  claims: Record<string, unknown>;
  groups: string[];
  consumer: { id: string; username: string | null; custom_id: string | null } | null;
  session: { expires_at: string; idle_expires_at: string };
  /** `/auth/logout?sid=…`: the only way to end this session from the browser. */
  logoutUrl: string;
}

/** The body crossed a trust boundary: check the fields the client itself relies on before calling it a user. */
export function parseUser(body: unknown): BffUser {
  if (typeof body !== 'object' || body === null) throw new TypeError('/auth/user answered something other than an object');
  const { sub, logoutUrl, groups } = body as Record<string, unknown>;
  if (typeof sub !== 'string' || typeof logoutUrl !== 'string' || !Array.isArray(groups)) {
    throw new TypeError('/auth/user answered without sub, groups or logoutUrl');
  }
  return body as BffUser;
}
