import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hardenListener } from '../../src/security/client-error';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { closeServer, listenOnLoopback } from '../../dev/loopback-server';
import { sendRaw, streamUpload, type RawResponse } from '../support/raw-http';
import { startTestApp, type TestApp } from '../support/test-app';
import { TEST_ADMIN_TOKEN } from '../support/test-env';

const MB = 1024 * 1024;

function jsonBody(response: RawResponse): { error?: string; message?: string } {
  return JSON.parse(response.body) as { error?: string; message?: string };
}

describe('oversized and malformed requests', () => {
  let app: TestApp;
  let upstream: EchoUpstream;
  let routesFile: string;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    routesFile = join(tmpdir(), `bff-hostile-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(routesFile, `routes:\n  - path: /public\n    upstream: ${upstream.url}\n    auth: none\n`);
    app = await startTestApp({ ROUTES_FILE: routesFile, RATE_LIMIT_LOGIN: 'off', RATE_LIMIT_ADMIN: 'off' });
  });
  afterAll(async () => {
    await app.stop();
    await upstream.stop();
    rmSync(routesFile, { force: true });
  });

  const host = (url: string) => new URL(url).host;
  const admin = `Authorization: Bearer ${TEST_ADMIN_TOKEN}`;

  describe('bodies over 64 KB on the BFF’s own endpoints', () => {
    it('answers an admin JSON body over 64 KB with 413 JSON', async () => {
      const response = await app.admin('/consumers', { method: 'POST', body: JSON.stringify({ username: 'x'.repeat(70 * 1024) }) });
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ error: 'payload_too_large' });
    });

    it('answers a form_post callback with a huge body with 413 JSON', async () => {
      const response = await fetch(`${app.browserUrl}/auth/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `state=abc&code=${'x'.repeat(MB)}`,
      });
      expect(response.status).toBe(413);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({ error: 'payload_too_large' });
    });

    it('refuses a declared 512 MB upload at once and closes instead of reading it', async () => {
      const head = `POST /consumers HTTP/1.1\r\nHost: ${host(app.adminUrl)}\r\n${admin}\r\nContent-Type: application/json\r\nContent-Length: ${512 * MB}\r\n\r\n`;
      const { response, bytesSent } = await streamUpload(app.adminUrl, head, 512 * MB);
      expect(response.status).toBe(413);
      expect(jsonBody(response)).toMatchObject({ error: 'payload_too_large' });
      expect(response.closedByServer).toBe(true);
      expect(bytesSent).toBeLessThan(64 * MB);
    });

    it('stops reading a chunked body once it passes the limit, on both listeners', async () => {
      for (const [url, path, type, auth] of [
        [app.adminUrl, '/consumers', 'application/json', `${admin}\r\n`],
        [app.browserUrl, '/auth/callback', 'application/x-www-form-urlencoded', ''],
      ] as const) {
        const head = `POST ${path} HTTP/1.1\r\nHost: ${host(url)}\r\n${auth}Content-Type: ${type}\r\nTransfer-Encoding: chunked\r\n\r\n`;
        const { response, bytesSent } = await streamUpload(url, head, 256 * MB);
        expect([path, response.status, response.closedByServer]).toEqual([path, 413, true]);
        expect(bytesSent).toBeLessThan(64 * MB);
      }
    });

    it('keeps memory flat while refusing many oversized bodies', async () => {
      const before = process.memoryUsage().rss;
      for (let round = 0; round < 5; round += 1) {
        const head = `POST /consumers HTTP/1.1\r\nHost: ${host(app.adminUrl)}\r\n${admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
        const { response } = await streamUpload(app.adminUrl, head, 64 * MB);
        expect(response.status).toBe(413);
      }
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * MB);
    });
  });

  describe('headers over Node’s size limit', () => {
    it('answers a huge cookie with 431 JSON on the browser listener and then closes', async () => {
      const response = await sendRaw(
        app.browserUrl,
        `GET /auth/user HTTP/1.1\r\nHost: ${host(app.browserUrl)}\r\nX-CSRF: 1\r\nCookie: bff-session=${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(response.status).toBe(431);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(jsonBody(response)).toEqual({ error: 'request_header_fields_too_large', message: 'The request headers are too large.' });
      expect(response.closedByServer).toBe(true);
    });

    it('answers a huge header with 431 on the admin listener and on a proxied route', async () => {
      const admin431 = await sendRaw(app.adminUrl, `GET /consumers HTTP/1.1\r\nHost: x\r\n${admin}\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      const proxied431 = await sendRaw(app.browserUrl, `GET /public/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      expect([admin431.status, proxied431.status]).toEqual([431, 431]);
      expect(upstream.requests.some((request) => request.url === '/x')).toBe(false);
    });

    it('answers a request line over the limit (a huge callback query) with 431', async () => {
      const response = await fetch(`${app.browserUrl}/auth/callback?state=${'s'.repeat(20_000)}`);
      expect(response.status).toBe(431);
    });

    it('still answers a request just under the limit', async () => {
      const response = await fetch(`${app.browserUrl}/auth/user`, { headers: { 'x-csrf': '1', cookie: `theme=${'a'.repeat(12_000)}` } });
      expect(response.status).toBe(401);
    });
  });

  describe('request smuggling shapes', () => {
    const shapes: [string, (target: string, host: string) => string][] = [
      [
        'Content-Length together with Transfer-Encoding',
        (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ${h}\r\n\r\n`,
      ],
      [
        'Transfer-Encoding with Content-Length after it',
        (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
      ],
      ['two different Content-Lengths', (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 1\r\nContent-Length: 20\r\n\r\nx`],
      ['two equal Content-Lengths', (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx`],
      ['a Content-Length list', (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 1, 1\r\n\r\nx`],
      ['an obs-fold continuation line', (target, h) => `GET ${target} HTTP/1.1\r\nHost: ${h}\r\nX-Folded: a\r\n b\r\n\r\n`],
      ['a folded Transfer-Encoding', (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`],
      ['a bare CR inside a header value', (target, h) => `GET ${target} HTTP/1.1\r\nHost: ${h}\r\nX-Injected: a\rSet-Cookie: x=1\r\n\r\n`],
      ['a bare LF ending a header line', (target, h) => `GET ${target} HTTP/1.1\r\nHost: ${h}\r\nX-A: a\nX-B: b\r\n\r\n`],
      ['a NUL inside a header value', (target, h) => `GET ${target} HTTP/1.1\r\nHost: ${h}\r\nX-A: a\u0000b\r\n\r\n`],
      ['whitespace before the colon', (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`],
      ['a Transfer-Encoding that does not end in chunked', (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`],
      ['a chunk size with junk', (target, h) => `POST ${target} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n`],
    ];

    const targets = () =>
      [
        ['the browser listener', app.browserUrl, '/auth/callback'],
        ['the admin listener', app.adminUrl, '/consumers'],
        ['a proxied route', app.browserUrl, '/public/smuggling-probe'],
      ] as const;

    it.each(shapes)('refuses %s with 400 on both listeners and on a proxied route', async (_shape, build) => {
      for (const [where, url, target] of targets()) {
        const before = upstream.requests.length;
        const response = await sendRaw(url, build(target, host(url)));
        expect([where, response.status, response.statusLines.length, response.closedByServer]).toEqual([where, 400, 1, true]);
        expect(jsonBody(response)).toEqual({ error: 'bad_request', message: 'The request is not valid HTTP/1.1.' });
        expect(upstream.requests.length).toBe(before);
      }
    });

    it('forwards a well-formed request over the same raw path, so the refusals above are the parser’s', async () => {
      const response = await sendRaw(app.browserUrl, `GET /public/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(response.status).toBe(200);
      expect(upstream.requests.at(-1)?.url).toBe('/ok');
    });

    it('keeps the parser strict even on a listener created with insecureHTTPParser', async () => {
      const lenient = createServer({ insecureHTTPParser: true }, (request, response) => {
        request.resume();
        request.on('end', () => response.end('accepted'));
      });
      const port = await listenOnLoopback(lenient, 0);
      try {
        const clTe = `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
        expect((await sendRaw(`http://127.0.0.1:${port}`, clTe, 200)).status).toBe(200);
        hardenListener(lenient);
        expect((await sendRaw(`http://127.0.0.1:${port}`, clTe)).status).toBe(400);
        expect((await sendRaw(`http://127.0.0.1:${port}`, `GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`)).status).toBe(400);
      } finally {
        await closeServer(lenient);
      }
    });
  });
});
