import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

/**
 * The WebSocket scenario's upstream: echoes every message (the `ws` package, no compression), so the relays and not
 * the upstream set the pace. Run as its own process: `node ws-echo-upstream.js <port>`.
 */
const port = Number(process.argv[2] ?? 0);
const server = createServer((_req, res) => res.writeHead(404).end());
const sockets = new WebSocketServer({ server, perMessageDeflate: false });
sockets.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
