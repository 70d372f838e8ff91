import { startTestApp, type TestApp } from '../support/test-app';

interface ConsumerBody {
  id: string;
  username: string | null;
  custom_id: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
}

describe('admin API: consumers', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp();
  });
  afterAll(async () => {
    await sut.stop();
  });

  const post = (body: unknown) => sut.admin('/consumers', { method: 'POST', body: JSON.stringify(body) });
  const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;

  it('creates a consumer and returns it with 201', async () => {
    const response = await post({ username: 'create-me', custom_id: 'sub-create-me', tags: ['team-a', 'okta'] });
    expect(response.status).toBe(201);
    const body = await json<ConsumerBody>(response);
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      username: 'create-me',
      custom_id: 'sub-create-me',
      tags: ['team-a', 'okta'],
      created_at: expect.any(String) as unknown,
      updated_at: expect.any(String) as unknown,
    });
  });

  it('creates a consumer from a custom_id alone', async () => {
    const response = await post({ custom_id: 'only-custom-id' });
    expect(response.status).toBe(201);
    expect(await json<ConsumerBody>(response)).toMatchObject({ username: null, custom_id: 'only-custom-id', tags: [] });
  });

  it.each([
    ['an unknown field', { username: 'x1', admin: true }, 'property admin should not exist'],
    ['neither username nor custom_id', { tags: ['a'] }, 'username or custom_id is required'],
    ['an empty body', {}, 'username or custom_id is required'],
    ['a username that is not a string', { username: 42 }, 'username must be a string'],
    ['an empty username', { username: '' }, 'username must be longer than or equal to 1 characters'],
    ['tags that are not an array', { username: 'x2', tags: 'a' }, 'tags must be an array'],
    ['a tag with spaces', { username: 'x3', tags: ['a b'] }, 'tags may hold letters, digits and _ . : @ - / only'],
    ['a username with a control character', { username: 'bad\u0000name' }, 'username must not contain control characters'],
    ['null tags', { username: 'x4', tags: null }, 'tags must be an array'],
  ])('rejects %s with 400 and a JSON error naming the one rule it breaks', async (_case, body, detail) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(await json<{ error: string; message: string }>(response)).toEqual({
      error: 'validation_failed',
      message: expect.any(String) as unknown,
      details: [detail],
    });
  });

  it('rejects a body that is not JSON with 400', async () => {
    const response = await sut.admin('/consumers', { method: 'POST', body: '{"username":' });
    expect(response.status).toBe(400);
    expect(await json<{ error: string }>(response)).toMatchObject({ error: expect.any(String) as unknown });
  });

  it('answers 409 for a duplicate username or custom_id', async () => {
    expect((await post({ username: 'dup-user', custom_id: 'dup-cid' })).status).toBe(201);
    const byUsername = await post({ username: 'dup-user' });
    expect(byUsername.status).toBe(409);
    expect(await json<{ error: string; details: unknown[] }>(byUsername)).toMatchObject({
      error: 'conflict',
      details: [{ field: 'username' }],
    });
    const byCustomId = await post({ username: 'another', custom_id: 'dup-cid' });
    expect(byCustomId.status).toBe(409);
    expect(await json<{ details: unknown[] }>(byCustomId)).toMatchObject({ details: [{ field: 'custom_id' }] });
  });

  it('creates exactly one consumer when the same username is posted concurrently', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => post({ username: 'race' })));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('finds a consumer by id and by username, and answers 404 otherwise', async () => {
    const created = await json<ConsumerBody>(await post({ username: 'findable' }));
    expect(await json<ConsumerBody>(await sut.admin(`/consumers/${created.id}`))).toMatchObject({ username: 'findable' });
    expect(await json<ConsumerBody>(await sut.admin('/consumers/findable'))).toMatchObject({ id: created.id });
    const missing = await sut.admin('/consumers/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(await json<{ error: string }>(missing)).toMatchObject({ error: 'not_found' });
    expect((await sut.admin('/consumers/nobody')).status).toBe(404);
  });

  it('pages through consumers with a cursor and filters by username, custom_id and tag', async () => {
    for (let index = 0; index < 5; index += 1) {
      expect((await post({ username: `page-${index}`, custom_id: `page-cid-${index}`, tags: ['paged'] })).status).toBe(201);
    }
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const query: string = next ? `&offset=${encodeURIComponent(next)}` : '';
      const page: { data: ConsumerBody[]; next: string | null } = await json(await sut.admin(`/consumers?tag=paged&size=2${query}`));
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((consumer) => consumer.username ?? ''));
      next = page.next;
    } while (next);
    expect(seen.sort()).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);

    const byUsername = await json<{ data: ConsumerBody[] }>(await sut.admin('/consumers?username=page-3'));
    expect(byUsername.data.map((consumer) => consumer.custom_id)).toEqual(['page-cid-3']);
    const byCustomId = await json<{ data: ConsumerBody[] }>(await sut.admin('/consumers?custom_id=page-cid-1'));
    expect(byCustomId.data.map((consumer) => consumer.username)).toEqual(['page-1']);
  });

  it.each([
    ['a size out of range', '?size=0'],
    ['a size that is not a number', '?size=lots'],
    ['a cursor it never issued', '?offset=not-a-cursor'],
    ['an unknown query parameter', '?color=red'],
  ])('rejects a listing with %s with 400', async (_case, query) => {
    const response = await sut.admin(`/consumers${query}`);
    expect(response.status).toBe(400);
  });

  it('updates a consumer with PATCH, and answers 400, 404 and 409 as the contract says', async () => {
    const created = await json<ConsumerBody>(await post({ username: 'patch-me', custom_id: 'patch-cid' }));
    const patch = (target: string, body: unknown) =>
      sut.admin(`/consumers/${target}`, { method: 'PATCH', body: JSON.stringify(body) });

    const updated = await patch(created.id, { username: 'patched', tags: ['x'] });
    expect(updated.status).toBe(200);
    expect(await json<ConsumerBody>(updated)).toMatchObject({ username: 'patched', custom_id: 'patch-cid', tags: ['x'] });

    expect((await patch('patched', { username: null })).status).toBe(200);
    expect((await patch(created.id, { custom_id: null })).status).toBe(400);
    expect((await patch(created.id, { unknown: 1 })).status).toBe(400);
    expect((await patch('no-such-consumer', { tags: [] })).status).toBe(404);
    await post({ username: 'taken-name' });
    expect((await patch(created.id, { username: 'taken-name' })).status).toBe(409);
  });

  it('deletes a consumer with 204 and answers 404 the second time', async () => {
    const created = await json<ConsumerBody>(await post({ username: 'delete-me' }));
    expect((await sut.admin(`/consumers/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await sut.admin(`/consumers/${created.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await sut.admin('/consumers/delete-me')).status).toBe(404);
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer wrong-token-wrong-token-wrong-token-0000'],
    ['a token prefix', 'Bearer test-admin-token'],
    ['the right token as Basic', `Basic test-admin-token-0123456789abcdefghijklmnop`],
  ])('refuses %s with 401 on every admin endpoint', async (_case, authorization) => {
    const paths: [string, string][] = [
      ['GET', '/consumers'],
      ['POST', '/consumers'],
      ['GET', '/consumers/anyone'],
      ['PATCH', '/consumers/anyone'],
      ['DELETE', '/consumers/anyone'],
      ['GET', '/readyz'],
      ['GET', '/metrics'],
      ['GET', '/openapi.json'],
    ];
    for (const [method, path] of paths) {
      const response = await fetch(`${sut.adminUrl}${path}`, {
        method,
        headers: authorization ? { authorization, 'content-type': 'application/json' } : { 'content-type': 'application/json' },
        body: method === 'POST' || method === 'PATCH' ? '{}' : undefined,
      });
      expect([method, path, response.status]).toEqual([method, path, 401]);
      expect(await json<{ error: string }>(response)).toMatchObject({ error: 'unauthorized' });
    }
  });
});
