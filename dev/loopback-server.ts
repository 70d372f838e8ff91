import type { Server } from 'node:http';

/** Listens on 127.0.0.1 (port 0 = any free port) and resolves with the port actually bound. */
export function listenOnLoopback(server: Server, port: number): Promise<number> {
  return listenOn(server, port, '127.0.0.1');
}

/** Like `listenOnLoopback`, on another address (the compose demo's containers bind 0.0.0.0). */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('server is not listening on TCP'));
      else resolve(address.port);
    });
  });
}

/** Stops listening and drops every connection, idle keep-alive and in-flight ones alike. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
