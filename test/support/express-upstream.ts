import { createServer } from 'node:http';
import express from 'express';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';

export interface ExpressUpstream {
  url: string;
  /** Paths as Express received them. */
  received: string[];
  stop(): Promise<void>;
}

/**
 * An Express app with its default routing — case-insensitive, so `/api2/ADMIN/secret` is its `/api2/admin/secret` —
 * that relies on the BFF to have applied the admin route's rules before forwarding.
 */
export async function startExpressUpstream(): Promise<ExpressUpstream> {
  const received: string[] = [];
  const app = express();
  app.use((request, _response, next) => {
    received.push(request.url);
    next();
  });
  app.get('/api2/admin/secret', (_request, response) => {
    response.json({ secret: 'admin data' });
  });
  app.get('/api2/profile', (_request, response) => {
    response.json({ profile: 'anyone signed in' });
  });
  const server = createServer(app);
  const port = await listenOnLoopback(server, 0);
  return { url: `http://127.0.0.1:${port}`, received, stop: () => closeServer(server) };
}
