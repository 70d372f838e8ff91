import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * The WebSocket baseline: the plainest Node relay — take the upgrade, replay the handshake to the upstream over a
 * new TCP connection, then pipe the two sockets into each other. No auth, no frame awareness.
 * Run as its own process: `node bare-ws-relay.js <port> <upstream origin>`.
 */
const port = Number(process.argv[2] ?? 0);
const upstream = new URL(process.argv[3] ?? 'http://127.0.0.1:9');

const server = createServer((_req, res) => res.writeHead(404).end());
server.on('upgrade', (request: IncomingMessage, client: Duplex, head: Buffer) => {
  const target = connect(Number(upstream.port), upstream.hostname, () => {
    const lines = [`GET ${request.url ?? '/'} HTTP/1.1`];
    for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
    target.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) target.write(head);
    target.pipe(client);
    client.pipe(target);
  });
  target.setNoDelay(true);
  for (const socket of [client, target]) socket.on('error', () => (client.destroy(), target.destroy()));
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
