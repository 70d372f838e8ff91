import { MetricsScrape } from '../support/metrics-scrape';
import { startProxyStack, type ProxyStack } from '../support/proxy-stack';
import type { TestBrowser } from '../support/test-browser';

const CSRF = { 'x-csrf': '1' };
const LOOKUPS = 'bff_session_cache_lookups_total';

describe('the session cache, as its metrics tell it', () => {
  let stack: ProxyStack;
  let alice: TestBrowser;
  let bob: TestBrowser;

  beforeAll(async () => {
    stack = await startProxyStack();
    alice = await stack.signedIn('alice');
    bob = await stack.signedIn('bob');
  });
  afterAll(async () => {
    await stack.stop();
  });

  const counts = async () => {
    const scrape = await MetricsScrape.of(stack.app.adminUrl);
    return { hits: scrape.value(LOOKUPS, { result: 'hit' }), misses: scrape.value(LOOKUPS, { result: 'miss' }) };
  };

  async function call(browser: TestBrowser): Promise<void> {
    const response = await browser.get(`${stack.publicUrl}/api/things`, CSRF);
    expect(response.status).toBe(200);
  }

  it("counts each session call once: a session not read a moment ago is a miss, read from Redis", async () => {
    const before = await counts();

    await call(alice);
    await call(bob);

    const after = await counts();
    expect(after.misses - before.misses).toBeGreaterThanOrEqual(2);
    expect(after.hits - before.hits + after.misses - before.misses).toBe(2);
  });

  it('serves calls that follow within the cache lifetime from memory, counted as hits', async () => {
    const before = await counts();
    // Back-to-back calls: on a loaded machine two of them may be more than the cache lifetime apart, not all twenty.
    const calls = 20;
    for (let index = 0; index < calls; index += 1) await call(alice);

    const after = await counts();
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(1);
    expect(after.hits - before.hits + after.misses - before.misses).toBe(calls);
  });
});
