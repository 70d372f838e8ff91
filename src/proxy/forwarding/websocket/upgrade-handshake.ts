import type { IncomingMessage } from 'node:http';
import { AppError } from '../../../common/app.error';

/** Whether a request asks for a WebSocket (any other Upgrade, e.g. h2c, is refused, never relayed). */
export function isWebSocketUpgrade(request: IncomingMessage): boolean {
  return request.headers.upgrade?.toLowerCase() === 'websocket';
}

/**
 * RFC 6455 §4.2.1: what a client handshake must hold. Checked before anything else happens, so a malformed upgrade
 * never reaches the session store or an upstream.
 */
export function assertValidHandshake(request: IncomingMessage): void {
  const { headers } = request;
  if (!isWebSocketUpgrade(request)) throw badHandshake('Only WebSocket upgrades are proxied.');
  if (request.method !== 'GET') throw badHandshake('A WebSocket handshake is a GET request.');
  if (!hasToken(headers.connection, 'upgrade')) throw badHandshake('The Connection header must name Upgrade.');
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key.trim())) throw badHandshake('Sec-WebSocket-Key must be 16 bytes in base64.');
  if (headers['sec-websocket-version'] !== '13') {
    throw new AppError(426, 'unsupported_websocket_version', 'Only WebSocket version 13 is supported.', { headers: { 'Sec-WebSocket-Version': '13' } });
  }
}

function hasToken(value: string | undefined, token: string): boolean {
  return value?.split(',').some((part) => part.trim().toLowerCase() === token) ?? false;
}

function badHandshake(message: string): AppError {
  return new AppError(400, 'bad_websocket_handshake', message);
}
