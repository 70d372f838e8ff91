import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { AppError } from '../../../common/app.error';
import { UPSTREAM_TIMEOUT, UPSTREAM_UNREACHABLE, type UpstreamFailure } from '../upstream-failure';
import type { UpstreamHeaders } from '../upstream-headers';

export interface UpstreamTarget {
  origin: string;
  path: string;
  headers: UpstreamHeaders;
  timeoutMs: number;
}

/** The upstream took the upgrade: its socket, what it sent past its 101, and the 101's headers as received. */
export interface UpstreamUpgraded {
  kind: 'upgraded';
  socket: Duplex;
  head: Buffer;
  rawHeaders: string[];
}

/** The upstream answered with an ordinary response (a 401, a 404…): passed to the client as it is. */
export interface UpstreamAnswered {
  kind: 'answered';
  response: IncomingMessage;
}

/**
 * The handshake with the upstream: a GET carrying `Upgrade: websocket` and the headers the proxy built (bearer,
 * identity, the client's Sec-WebSocket-* headers), on a connection of its own (an upgraded socket leaves any pool).
 */
export function upgradeUpstream(target: UpstreamTarget): Promise<UpstreamUpgraded | UpstreamAnswered> {
  const url = new URL(target.path, target.origin);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: 'GET',
      agent: false,
      headers: { ...target.headers, connection: 'Upgrade', upgrade: 'websocket' },
      timeout: target.timeoutMs,
    });
    const fail = (failure: UpstreamFailure) => {
      outgoing.destroy();
      reject(new AppError(failure.status, failure.code, failure.message));
    };
    outgoing.once('timeout', () => fail(UPSTREAM_TIMEOUT));
    outgoing.once('error', () => fail(UPSTREAM_UNREACHABLE));
    outgoing.once('upgrade', (response: IncomingMessage, socket: Duplex, head: Buffer) => {
      outgoing.setTimeout(0);
      resolve({ kind: 'upgraded', socket, head, rawHeaders: response.rawHeaders });
    });
    outgoing.once('response', (response: IncomingMessage) => {
      outgoing.setTimeout(0);
      resolve({ kind: 'answered', response });
    });
    outgoing.end();
  });
}
