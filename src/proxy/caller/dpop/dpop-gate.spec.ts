import type { IncomingMessage } from 'node:http';
import { newDpopHolder, proofFor, type DpopHolder } from '../../../../test/support/dpop-proofs';
import type { HttpConfig } from '../../../config/app-config';
import { DpopGate } from './dpop-gate';
import type { DpopReplayGuard } from './dpop-replay';

const ORIGIN = 'https://app.example.com';
const TOKEN = 'bound-token';

describe('DpopGate', () => {
  let holder: DpopHolder;
  const seen = new Set<string>();
  const replay = { firstUse: (key: string, jti: string) => Promise.resolve(!seen.has(`${key}:${jti}`) && Boolean(seen.add(`${key}:${jti}`))) };
  const sut = new DpopGate(replay as unknown as DpopReplayGuard, { publicUrl: `${ORIGIN}/` } as HttpConfig);

  beforeAll(async () => {
    holder = await newDpopHolder();
  });

  const request = (url: string, proofs: string[], method = 'GET') =>
    ({ method, url, headers: {}, rawHeaders: ['Host', 'app.example.com', ...proofs.flatMap((proof) => ['DPoP', proof])] }) as unknown as IncomingMessage;
  const presented = { token: TOKEN, scheme: 'dpop' } as const;
  const proof = () => proofFor(holder, { method: 'GET', url: `${ORIGIN}/api/orders`, accessToken: TOKEN });
  const refusal = (message: RegExp) => ({ status: 401, code: 'invalid_dpop_proof', message: expect.stringMatching(message) as unknown });

  it('accepts a fresh proof for the request as received, its query aside', async () => {
    await expect(sut.check(request('/api/orders?page=2', [await proof()]), 'required', presented, holder.thumbprint)).resolves.toBeUndefined();
  });

  it('refuses a proof used before', async () => {
    const once = await proof();
    await sut.check(request('/api/orders', [once]), 'optional', presented, holder.thumbprint);
    await expect(sut.check(request('/api/orders', [once]), 'optional', presented, holder.thumbprint)).rejects.toMatchObject(refusal(/jti was used before/));
  });

  it('refuses no DPoP header, and two', async () => {
    await expect(sut.check(request('/api/orders', []), 'required', presented, holder.thumbprint)).rejects.toMatchObject(refusal(/missing/));
    await expect(sut.check(request('/api/orders', [await proof(), await proof()]), 'required', presented, holder.thumbprint)).rejects.toMatchObject(refusal(/more than one/));
  });

  it('asks nothing of a Bearer token without cnf on an optional route, and checks nothing', async () => {
    expect(sut.needsNothingMore('optional', { token: TOKEN, scheme: 'bearer' }, undefined)).toBe(true);
    await expect(sut.check(request('/api/orders', []), 'optional', { token: TOKEN, scheme: 'bearer' }, undefined)).resolves.toBeUndefined();
    expect(sut.needsNothingMore('optional', presented, holder.thumbprint)).toBe(false);
  });
});
