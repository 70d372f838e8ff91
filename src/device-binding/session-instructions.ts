import { AUTH_PATHS } from '../common/public-surface';

/** The session configuration a registration or refresh answers with (W3C webappsec-dbsc, "JSON Session Instruction Format"). */
export interface SessionInstructions {
  session_identifier: string;
  refresh_url: string;
  scope: {
    origin: string;
    include_site: false;
    scope_specification: { type: 'exclude'; domain: string; path: string }[];
  };
  credentials: { type: 'cookie'; name: string; attributes: string }[];
  allowed_refresh_initiators: string[];
}

/**
 * The BFF's origin alone (not its site: sibling subdomains are not ours to cover), everything on it in scope but the
 * refresh endpoint — the SPA, `/api/…`, `/auth/user` and logout all need the bound cookie. One credential: the bound
 * cookie, with exactly the attributes it is set with (Chrome compares Path, Secure, HttpOnly and SameSite).
 */
export function sessionInstructions(bindingId: string, publicOrigin: string, cookie: { name: string; attributes: string }): SessionInstructions {
  return {
    session_identifier: bindingId,
    refresh_url: AUTH_PATHS.deviceRefresh,
    scope: {
      origin: publicOrigin,
      include_site: false,
      scope_specification: [{ type: 'exclude', domain: new URL(publicOrigin).hostname, path: AUTH_PATHS.deviceRefresh }],
    },
    credentials: [{ type: 'cookie', name: cookie.name, attributes: cookie.attributes }],
    allowed_refresh_initiators: [],
  };
}
