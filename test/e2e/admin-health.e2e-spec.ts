import { startTestApp, type TestApp } from '../support/test-app';

describe('admin API: health, metrics and docs', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp();
  });
  afterAll(async () => {
    await sut.stop();
  });

  it('answers /healthz without a token', async () => {
    const response = await fetch(`${sut.adminUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 naming the IdP when only the IdP is unreachable', async () => {
    const response = await sut.admin('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: 'not_ready',
      details: [{ dependency: 'idp', status: 'down' }],
      checks: { redis: 'up', postgres: 'up', idp: 'down' },
    });
  });

  it('serves Prometheus text on /metrics, counting requests by route and status', async () => {
    await sut.admin('/consumers/nobody');
    const response = await sut.admin('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/bff_http_requests_total\{listener="admin",route="\/consumers\/:idOrUsername",method="GET",status="404"\} 1/);
    expect(text).toContain('bff_http_request_duration_seconds_bucket');
    expect(text).toContain('bff_logins_total');
    expect(text).toContain('bff_active_sessions');
  });

  it('describes the admin API in OpenAPI 3, to the admin token only', async () => {
    const document = (await (await sut.admin('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/consumers', '/consumers/{idOrUsername}', '/healthz', '/readyz', '/metrics']),
    );
    const anonymous = await fetch(`${sut.adminUrl}/openapi.json`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('/consumers');
  });

  it('serves /docs to a browser without a token: a page that holds no part of the API and asks for the token', async () => {
    const page = await fetch(`${sut.adminUrl}/docs`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('type="password"');
    expect(html).not.toContain('/consumers');
    for (const [, reference = ''] of html.matchAll(/\b(?:src|href)="(?!data:)([^"]+)"/g)) {
      const asset = await fetch(new URL(reference, `${sut.adminUrl}/docs`));
      expect([reference, asset.status, asset.headers.get('content-type')?.split(';')[0]]).toEqual([
        reference,
        200,
        reference.endsWith('.js') ? 'text/javascript' : 'text/css',
      ]);
    }
    expect((await fetch(`${sut.adminUrl}/docs/package.json`)).status).toBe(404);
    expect((await fetch(`${sut.adminUrl}/docs/..%2Fpackage.json`)).status).toBe(404);
  });

  it('keeps admin routes off the browser port', async () => {
    for (const path of ['/consumers', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
      const response = await fetch(`${sut.browserUrl}${path}`, { headers: { authorization: 'Bearer x' } });
      expect([path, response.status]).toEqual([path, 404]);
    }
  });

  it('answers errors as JSON with a request id', async () => {
    const response = await fetch(`${sut.adminUrl}/no-such-route`);
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toMatch(/.+/);
    expect(await response.json()).toMatchObject({ error: 'not_found', message: expect.any(String) as unknown });
  });
});
