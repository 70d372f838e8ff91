import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { isAuthPath } from '../common/public-surface';

/**
 * Headers on the BFF's own responses (proxied responses keep the upstream's: this runs after the proxy). The policy
 * suits both the JSON endpoints and an SPA served from SPA_DIR: scripts, styles and calls from this origin only, never
 * framed. `same-origin` referrers let the 401 body's `login_url` name the page the SPA was on. HSTS and upgrading
 * requests only make sense, and only happen, when PUBLIC_URL is https.
 */
export function securityHeaders(secure: boolean): RequestHandler[] {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  return [headers, noStoreOnAuth];
}

/** Nothing under /auth may be cached, errors included: it is all per-user or single-use (RFC 6749 §5.1 asks as much). */
function noStoreOnAuth(request: Request, response: Response, next: NextFunction): void {
  const path = request.path;
  if (isAuthPath(path)) response.setHeader('cache-control', 'no-store');
  next();
}
