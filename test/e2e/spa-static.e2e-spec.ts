import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../../src/app';
import { loadAppConfig } from '../../src/config/app-config';
import { ConfigurationError } from '../../src/config/configuration.error';
import { startEchoUpstream, type EchoUpstream } from '../support/echo-upstream';
import { baseEnv } from '../support/test-env';
import { startTestApp, type TestApp } from '../support/test-app';

const INDEX = '<!doctype html><title>spa</title><p>the index page</p>';

/** Sends the path exactly as written: fetch() would normalize `..` away before the server could see it. */
function rawGet(base: string, path: string, accept = '*/*'): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const sent = request({ hostname, port, path, headers: { accept } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('SPA_DIR static serving', () => {
  let root: string;
  let app: TestApp;
  let upstream: EchoUpstream;
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'bff-spa-'));
    const spa = join(root, 'spa');
    mkdirSync(join(spa, 'assets'), { recursive: true });
    writeFileSync(join(spa, 'index.html'), INDEX);
    writeFileSync(join(spa, 'style.css'), 'body { color: red }');
    writeFileSync(join(spa, 'assets', 'app.3f9a1c2b.js'), 'console.log(1)');
    writeFileSync(join(spa, '.secret'), 'dotfile-contents');
    writeFileSync(join(root, 'outside.txt'), 'outside-contents');
    upstream = await startEchoUpstream();
    app = await startTestApp({ SPA_DIR: spa, UPSTREAM_URL: upstream.url });
  });

  afterAll(async () => {
    await app?.stop();
    await upstream?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html at / with security headers and a revalidate-always cache policy', async () => {
    const response = await fetch(`${app.browserUrl}/`, { headers: html });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toBe(INDEX);
  });

  it('serves files with their content type, revalidated unless fingerprinted', async () => {
    const css = await fetch(`${app.browserUrl}/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('cache-control')).toBe('no-cache');
    expect(css.headers.get('etag')).toBeTruthy();

    const script = await fetch(`${app.browserUrl}/assets/app.3f9a1c2b.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers a page navigation to a client-side route with index.html', async () => {
    const response = await fetch(`${app.browserUrl}/orders/42?tab=items`, { headers: html });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toBe(INDEX);
  });

  it('answers HEAD like GET, without a body', async () => {
    const response = await fetch(`${app.browserUrl}/orders`, { method: 'HEAD', headers: html });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toBe('');
  });

  it('gives a missing asset, a non-page request or another method the JSON 404, not the index', async () => {
    for (const [path, init] of [
      ['/missing.js', {}],
      ['/orders/42', { headers: { accept: 'application/json' } }],
      ['/', { method: 'POST', headers: html }],
    ] as const) {
      const response = await fetch(`${app.browserUrl}${path}`, init);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it('never serves a file outside SPA_DIR nor a dotfile', async () => {
    for (const path of ['/../outside.txt', '/%2e%2e/outside.txt', '/..%2foutside.txt', '/assets/..%2f..%2foutside.txt', '/.secret']) {
      const response = await rawGet(app.browserUrl, path);
      expect(response.status).not.toBe(200);
      expect(response.body).not.toContain('outside-contents');
      expect(response.body).not.toContain('dotfile-contents');
    }
  });

  it('leaves /auth and the proxied routes to the BFF, even for page navigations', async () => {
    const user = await fetch(`${app.browserUrl}/auth/user`, { headers: { ...html, 'x-csrf': '1' } });
    expect(user.status).toBe(401);
    expect(await user.json()).toMatchObject({ error: 'not_authenticated' });

    const api = await fetch(`${app.browserUrl}/api/anything`, { headers: { ...html, 'x-csrf': '1' } });
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('serves nothing on the admin port', async () => {
    const response = await fetch(`${app.adminUrl}/`, { headers: html });
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('the index page');
  });
});

describe('SPA_DIR validation', () => {
  it('refuses to start when SPA_DIR holds no index.html, naming the variable', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'bff-spa-empty-'));
    try {
      for (const spaDir of [empty, join(empty, 'missing')]) {
        const loaded = loadAppConfig(baseEnv({ SPA_DIR: spaDir }));
        if (!loaded.ok) throw new Error(loaded.problems.join('; '));
        const started = startApp(loaded.config);
        await expect(started).rejects.toBeInstanceOf(ConfigurationError);
        await expect(started).rejects.toMatchObject({ problems: ['SPA_DIR: must be a directory that holds index.html'] });
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
