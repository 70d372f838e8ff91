// oauth2-mock-server in a process of its own: under Jest's module sandbox its plain-object checks see the JWKs it
// generates as foreign objects. Started by mock-server-idp.ts; prints `listening <port>`, stops on SIGTERM.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

const accessTokenTtlSeconds = Number(process.argv[2] ?? 300);
const state = { refreshTokensPresented: [] as string[], refreshTokensIssued: [] as string[], revocations: 0 };

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(0, '127.0.0.1');
// It names itself `localhost`; the BFF and the tests reach it by address, as they do every other loopback server.
server.issuer.url = `http://127.0.0.1:${server.address().port}`;

server.service.on('beforeResponse', (response: { body: Record<string, unknown> | '' }, req: IncomingMessage & { body?: unknown }) => {
  if (response.body === '') return;
  response.body['expires_in'] = accessTokenTtlSeconds;
  const body = req.body;
  if (typeof body === 'object' && body !== null && 'grant_type' in body && body.grant_type === 'refresh_token' && 'refresh_token' in body) {
    state.refreshTokensPresented.push(String(body.refresh_token));
  }
  if (typeof response.body['refresh_token'] === 'string') state.refreshTokensIssued.push(response.body['refresh_token']);
});
server.service.on('beforeRevoke', () => {
  state.revocations += 1;
});
server.service.addRoute('GET', '/_test/state', (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state));
});
server.service.addRoute('GET', '/_test/machine-token', async (req: IncomingMessage, res: ServerResponse) => {
  const scope = new URL(req.url ?? '/', 'http://mock').searchParams.get('scope') ?? '';
  const token = await server.issuer.buildToken({ scopesOrTransform: (_header, payload) => Object.assign(payload, { sub: 'machine', scope }) });
  res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
});

process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
process.stdout.write(`listening ${server.address().port}\n`);
