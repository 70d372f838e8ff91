import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/app.error';
import { toErrorResponse } from '../common/error-body';
import { requestIdOf } from '../common/logger.options';
import { endWithJsonError } from '../common/raw-json-response';
import { CallerAuthenticator } from './caller/caller-authenticator';
import { CredentialWatch, type CredentialEnd } from './caller/credential-watch';
import { ForwardingRules, type PreparedForward } from './forwarding/forwarding-rules';
import { RouteTable } from './forwarding/route-table';
import type { RouteMatch } from './forwarding/route';
import { filterResponseHeaders } from './forwarding/upstream-headers';
import { withoutOwnCookies, type OwnCookies } from './forwarding/upstream-set-cookie';
import { SocketRelay } from './forwarding/websocket/socket-relay';
import { assertValidHandshake } from './forwarding/websocket/upgrade-handshake';
import { upgradeUpstream, type UpstreamAnswered, type UpstreamUpgraded } from './forwarding/websocket/upstream-handshake';
import { isAuthPath } from '../common/public-surface';

/** RFC 6455 §7.4.1: 1008 policy violation (the credential ended), 1001 going away (the BFF stops). */
const CLOSE_POLICY = 1008;
const CLOSE_GOING_AWAY = 1001;

/**
 * WebSockets on proxied routes: the handshake is authenticated and checked like any proxied call (a session caller
 * shows `Origin` instead of the CSRF header), every refusal is answered before the upstream is contacted, and the
 * upstream's handshake carries the bearer and identity headers. Then the bytes are relayed as they come; a socket
 * closes with 1008 and the reason once its credential ends — its session, its token's expiry, its consumer's
 * deletion — on whichever instance it ended.
 */
@Injectable()
export class WebSocketProxy {
  private readonly logger = new Logger('WebSocketProxy');
  private readonly open = new Set<SocketRelay>();

  constructor(
    private readonly routes: RouteTable,
    private readonly callers: CallerAuthenticator,
    private readonly credentials: CredentialWatch,
    private readonly rules: ForwardingRules,
  ) {}

  /** Takes the listener's upgrade requests (without a listener Node would drop them). */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => void this.handle(request, socket, head));
  }

  /** Closes every open socket, as the BFF stops; a client reconnects to another instance. */
  closeAll(): void {
    for (const relay of this.open) relay.close(CLOSE_GOING_AWAY, 'going_away');
  }

  get openSockets(): number {
    return this.open.size;
  }

  private async handle(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const requestId = requestIdOf(request);
    let credential: CredentialEnd | undefined;
    try {
      const match = this.matchRoute(request);
      assertValidHandshake(request);
      const caller = match.route.auth === 'none' ? undefined : await this.callers.authenticate(request, match.route, this.rules.clientAddress(request), 'origin');
      const prepared = await this.rules.prepare(request, match, caller, requestId);
      // Watched from here: a credential that ends during the upstream's handshake ends the socket as soon as it opens.
      credential = caller && this.credentials.watch(caller);
      const upstream = await this.handshake(prepared);
      if (socket.destroyed) {
        if (upstream.kind === 'upgraded') upstream.socket.destroy();
      } else if (upstream.kind === 'answered') {
        relayAnswer(socket, upstream.response, this.rules.ownCookies);
      } else {
        this.relay(socket, head, upstream, credential);
        return;
      }
    } catch (error: unknown) {
      this.refuse(socket, error, requestId);
    }
    credential?.stop();
  }

  /** The upstream's handshake; its DPoP nonce challenge is answered once, with a proof carrying the nonce (RFC 9449 §9). */
  private async handshake(prepared: PreparedForward): Promise<UpstreamUpgraded | UpstreamAnswered> {
    const upstream = await upgradeUpstream(prepared);
    if (upstream.kind !== 'answered' || !this.rules.nonceChallenged(prepared, upstream.response.statusCode ?? 0, upstream.response.headers)) return upstream;
    upstream.response.resume();
    return upgradeUpstream(this.rules.reprove(prepared));
  }

  private matchRoute(request: IncomingMessage): RouteMatch {
    const url = request.url ?? '/';
    const match = isAuthPath(url) ? undefined : this.routes.match(url);
    if (match === undefined) throw new AppError(404, 'not_found', 'No WebSocket is served at this path.');
    if ('rejected' in match) throw new AppError(400, 'bad_path', 'The request path is not allowed.');
    if (!match.route.websocket) throw new AppError(400, 'websocket_not_allowed', 'This route does not proxy WebSockets.');
    return match;
  }

  private relay(socket: Duplex, head: Buffer, upstream: UpstreamUpgraded, credential: CredentialEnd | undefined): void {
    socket.write(switchingProtocols(upstream.rawHeaders, this.rules.ownCookies));
    const relay = new SocketRelay(socket, upstream.socket, head, upstream.head);
    this.open.add(relay);
    void credential?.ended.then((reason) => relay.close(CLOSE_POLICY, reason));
    void relay.closed.then(() => {
      this.open.delete(relay);
      credential?.stop();
    });
  }

  private refuse(socket: Duplex, error: unknown, requestId: string): void {
    const mapped = toErrorResponse(error);
    if (!mapped) this.logger.error({ err: error, reqId: requestId }, 'websocket proxy failure');
    else if (mapped.status >= 500 && error instanceof AppError) this.logger.warn({ code: error.code, reqId: requestId }, 'websocket dependency failure');
    const status = mapped?.status ?? 500;
    const body = mapped?.body ?? { error: 'internal_error', message: 'Internal server error.' };
    endWithJsonError(socket, status, body, { ...mapped?.headers, 'X-Request-Id': requestId });
  }
}

/** The upstream's 101 as the client's, hop-by-hop headers included (they are the upgrade's own), less our cookies. */
function switchingProtocols(rawHeaders: readonly string[], ownCookies: OwnCookies): string {
  const lines = ['HTTP/1.1 101 Switching Protocols'];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const [name = '', value = ''] = [rawHeaders[i], rawHeaders[i + 1]];
    if (name.toLowerCase() === 'set-cookie' && withoutOwnCookies(value, ownCookies).length === 0) continue;
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** An upstream that turned the upgrade down: its status, headers and body go to the client, then the connection ends. */
function relayAnswer(socket: Duplex, response: IncomingMessage, ownCookies: OwnCookies): void {
  const status = response.statusCode ?? 502;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  const headers = filterResponseHeaders(response.headers, ownCookies);
  delete headers['content-length'];
  for (const [name, value] of Object.entries(headers)) for (const one of [value].flat()) lines.push(`${name}: ${one}`);
  lines.push('Connection: close');
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  response.pipe(socket);
  response.once('error', () => socket.destroy());
}
