import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * The client address as Express's `req.ip` gives it under the same `trust proxy` setting (TRUST_PROXY), for the proxy
 * path, which runs ahead of Express: the socket's peer when no proxy is trusted, else the nearest untrusted
 * X-Forwarded-For entry.
 */
export function clientAddressOf(trust: boolean | number | string): (request: IncomingMessage) => string {
  if (trust === false) return (request) => request.socket.remoteAddress ?? '';
  const trusted = compileTrust(trust);
  return (request) => proxyaddr(request, trusted);
}

/** Express 5's `compileTrust`, so both paths read X-Forwarded-For alike. */
function compileTrust(trust: true | number | string): (address: string, hop: number) => boolean {
  if (trust === true) return () => true;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust.split(',').map((entry) => entry.trim()));
}
