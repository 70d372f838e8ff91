import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/** One message of the demo's live feed: who the upstream was told is on the socket, and a tick. */
export interface LiveFeedMessage {
  kind: 'hello' | 'tick' | 'echo';
  at: string;
  user: string | null;
  groups: string | null;
  text?: string;
}

/**
 * The demo API's WebSocket: every upgrade (through the BFF, so the handshake carries the identity headers) gets a
 * hello, a tick each second and an echo of what it sends. The BFF closes it with 1008 when the session ends.
 */
export function serveLiveFeed(server: Server): { stop(): void } {
  const sockets = new WebSocketServer({ noServer: true });
  const timers = new Set<NodeJS.Timeout>();
  server.on('upgrade', (request: IncomingMessage, socket, head) => {
    sockets.handleUpgrade(request, socket, head, (ws) => greet(ws, request, timers));
  });
  return {
    stop: () => {
      for (const timer of timers) clearInterval(timer);
      for (const client of sockets.clients) client.terminate();
      sockets.close();
    },
  };
}

function greet(ws: WebSocket, request: IncomingMessage, timers: Set<NodeJS.Timeout>): void {
  const user = single(request.headers['x-consumer-username']) ?? single(request.headers['x-credential-identifier']);
  const groups = single(request.headers['x-authenticated-groups']);
  const send = (message: Omit<LiveFeedMessage, 'at' | 'user' | 'groups'>) =>
    ws.send(JSON.stringify({ ...message, at: new Date().toISOString(), user, groups } satisfies LiveFeedMessage));
  send({ kind: 'hello' });
  const timer = setInterval(() => send({ kind: 'tick' }), 1_000);
  timers.add(timer);
  ws.on('message', (data: Buffer) => send({ kind: 'echo', text: data.toString('utf8').slice(0, 200) }));
  ws.on('close', () => {
    clearInterval(timer);
    timers.delete(timer);
  });
}

function single(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}
