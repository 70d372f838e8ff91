import { setTimeout as sleep } from 'node:timers/promises';
import { startMisbehavingStack, type MisbehavingStack } from '../support/misbehaving-stack';
import { TestBrowser } from '../support/test-browser';

// Contract: an unknown kid refetches the issuer's key set, at most once per 30 s.
const REFETCH_COOLDOWN_MS = 30_000;

describe('a provider that rotates its signing key', () => {
  let stack: MisbehavingStack;

  beforeAll(async () => {
    stack = await startMisbehavingStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps logins working across a rotation without a restart, refetching the key set at most once per 30 s', async () => {
    await stack.signedIn();
    expect(stack.idp.calls.jwks).toBe(1);
    await stack.idp.rotateKey();

    // Within the cooldown the new kid is unknown and the key set is not fetched again.
    const tooSoon = await stack.login(new TestBrowser());
    expect(tooSoon.status).toBe(401);
    expect(stack.idp.calls.jwks).toBe(1);

    await sleep(Math.max(0, stack.idp.lastJwksAt + REFETCH_COOLDOWN_MS + 250 - Date.now()));
    const afterCooldown = await stack.login(new TestBrowser());
    expect(afterCooldown.status).toBe(302);
    expect(stack.idp.calls.jwks).toBe(2);
    // The refreshed key set serves the next logins without another fetch.
    await stack.signedIn();
    expect(stack.idp.calls.jwks).toBe(2);
  });
});
