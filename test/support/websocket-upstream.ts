import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';

export interface WebSocketUpstream {
  url: string;
  /** The headers of every handshake that reached the upstream. */
  handshakes: IncomingHttpHeaders[];
  /** How each upstream-side socket closed. */
  closes: { code: number; reason: string }[];
  open(): WebSocket[];
  /** Answers the next handshake with this HTTP status instead of upgrading. */
  refuseNext(status: number): void;
  stop(): Promise<void>;
}

/**
 * An upstream WebSocket service (the `ws` package, independent of the BFF's relay) that echoes every message.
 * Plain HTTP requests get `answerHttp`'s answer (default 404).
 */
export async function startWebSocketUpstream(answerHttp: RequestListener = (_request, response) => response.writeHead(404).end()): Promise<WebSocketUpstream> {
  const server = createServer(answerHttp);
  const sockets = new WebSocketServer({ noServer: true });
  const handshakes: IncomingHttpHeaders[] = [];
  const closes: { code: number; reason: string }[] = [];
  let refusal: number | undefined;
  server.on('upgrade', (request, socket, head) => {
    handshakes.push(request.headers);
    if (refusal !== undefined) {
      const body = JSON.stringify({ upstream: 'refused' });
      socket.end(`HTTP/1.1 ${refusal} Refused\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      refusal = undefined;
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
    });
  });
  const port = await listenOnLoopback(server, 0);
  return {
    url: `http://127.0.0.1:${port}`,
    handshakes,
    closes,
    open: () => [...sockets.clients],
    refuseNext: (status) => {
      refusal = status;
    },
    stop: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await closeServer(server);
    },
  };
}
