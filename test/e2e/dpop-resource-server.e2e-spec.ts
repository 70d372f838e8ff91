import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startDevIdp, type DevIdp } from '../../dev/idp/dev-idp';
import { OPAQUE_RESOURCE } from '../../dev/idp/idp-clients';
import { issueBoundToken, requestWithProofs, type PlainResponse } from '../support/dpop-client';
import { draftProof, newDpopHolder, PROOF_MUTATIONS, proofFor, signProof, type DpopHolder, type ExpectedDpopError, type ProofMutation } from '../support/dpop-proofs';
import { startEchoUpstream, type EchoBody, type EchoUpstream } from '../support/echo-upstream';
import { startLoginStack, type LoginStack } from '../support/login-stack';
import { openWebSocket, opened, roundTrip } from '../support/websocket-client';
import { startWebSocketUpstream, type WebSocketUpstream } from '../support/websocket-upstream';

const ALGS = /, algs="ES256 [^"]+"$/;

describe('DPoP, the BFF as resource server (route option dpop)', () => {
  let stack: LoginStack;
  /** Another issuer whose tokens the BFF takes (BEARER_EXTRA_ISSUERS). */
  let partner: DevIdp;
  let upstream: EchoUpstream;
  let sockets: WebSocketUpstream;
  let holder: DpopHolder;
  let other: DpopHolder;
  let bound: string;

  beforeAll(async () => {
    [upstream, sockets, holder, other, partner] = await Promise.all([startEchoUpstream(), startWebSocketUpstream(), newDpopHolder(), newDpopHolder(), startDevIdp()]);
    const routesFile = join(tmpdir(), `bff-dpop-routes-${randomUUID()}.yaml`);
    writeFileSync(
      routesFile,
      `routes:
  - { path: /off, upstream: "${upstream.url}", auth: bearer }
  - { path: /optional, upstream: "${upstream.url}", auth: bearer, dpop: optional }
  - { path: /required, upstream: "${upstream.url}", auth: any, dpop: required }
  - { path: /feed, upstream: "${sockets.url}", auth: bearer, dpop: required }
  - { path: /public, upstream: "${upstream.url}", auth: none }
`,
    );
    // The attacks below fail on purpose, all from 127.0.0.1: the per-address lockout is the fleet spec's subject.
    stack = await startLoginStack({ ROUTES_FILE: routesFile, RATE_LIMIT_CREDENTIAL_FAILURES: 'off', BEARER_EXTRA_ISSUERS: partner.issuer });
    ({ access_token: bound } = await issueBoundToken(stack.idp.issuer, holder, { scope: 'orders:read' }));
  });
  afterAll(async () => {
    await Promise.all([stack.stop(), upstream.stop(), sockets.stop(), partner.stop()]);
  });

  /** A unique path under the route, so that what reached the upstream can be told apart. */
  const pathUnder = (route: string) => `${route}/calls/${randomUUID()}`;
  const timesReached = (path: string) => upstream.requests.filter((request) => request.url.includes(path.slice(path.lastIndexOf('/')))).length;
  const reached = (path: string) => timesReached(path) > 0;
  const call = async (path: string, token: string, proofs: readonly string[], method = 'GET', scheme = 'DPoP'): Promise<PlainResponse> =>
    requestWithProofs(`${stack.publicUrl}${path}`, { method, authorization: `${scheme} ${token}`, proofs });
  const freshProof = (path: string, token = bound, method = 'GET', signer = holder) => proofFor(signer, { method, url: `${stack.publicUrl}${path}`, accessToken: token });

  /** A 401 with the RFC's challenge and the JSON body, and the upstream asked no more times than before. */
  function expectRefused(response: PlainResponse, error: ExpectedDpopError, path: string, reachedBefore = 0): void {
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(new RegExp(`^DPoP error="${error}"${ALGS.source}`));
    expect(JSON.parse(response.body)).toMatchObject({ error });
    expect(timesReached(path)).toBe(reachedBefore);
  }

  /** An attack on a call to `path`: what it needs sent first, then the request that must be refused. */
  interface Attack {
    name: string;
    error: ExpectedDpopError;
    prepare(path: string, method: string): Promise<() => Promise<PlainResponse>>;
  }
  const proofAttack = (mutation: ProofMutation): Attack => ({
    ...mutation,
    prepare: async (path, method) => {
      const draft = draftProof(holder, { method, url: `${stack.publicUrl}${path}`, accessToken: bound });
      const proof = await signProof(holder, mutation.mutate(draft, { holder, other }));
      return () => call(`${path}?q=1`, bound, [proof], method);
    },
  });
  const REQUEST_ATTACKS: Attack[] = [
    {
      name: 'a proof replayed',
      error: 'invalid_dpop_proof',
      prepare: async (path, method) => {
        const proof = await freshProof(path, bound, method);
        expect((await call(path, bound, [proof], method)).status).toBe(200);
        return () => call(path, bound, [proof], method);
      },
    },
    {
      name: 'a used jti in a new proof by the same key, for another of its tokens',
      error: 'invalid_dpop_proof',
      prepare: async (path, method) => {
        const used = draftProof(holder, { method, url: `${stack.publicUrl}${path}`, accessToken: bound });
        expect((await call(path, bound, [await signProof(holder, used)], method)).status).toBe(200);
        const { access_token: another } = await issueBoundToken(stack.idp.issuer, holder, { scope: 'orders:read' });
        const draft = draftProof(holder, { method, url: `${stack.publicUrl}${path}`, accessToken: another });
        const proof = await signProof(holder, { ...draft, payload: { ...draft.payload, jti: used.payload['jti'] } });
        return () => call(path, another, [proof], method);
      },
    },
    {
      name: 'two DPoP headers',
      error: 'invalid_dpop_proof',
      prepare: async (path, method) => {
        const proofs = [await freshProof(path, bound, method), await freshProof(path, bound, method)];
        return () => call(path, bound, proofs, method);
      },
    },
    { name: 'no DPoP header', error: 'invalid_dpop_proof', prepare: (path, method) => Promise.resolve(() => call(path, bound, [], method)) },
    {
      name: 'the bound token sent as Bearer, with a proof',
      error: 'invalid_token',
      prepare: async (path, method) => {
        const proof = await freshProof(path, bound, method);
        return () => call(path, bound, [proof], method, 'Bearer');
      },
    },
  ];

  it.each(['/optional', '/required'])('forwards a DPoP-bound token with a fresh proof on %s as Bearer, without the proof', async (route) => {
    const path = pathUnder(route);
    const response = await call(`${path}?page=2`, bound, [await freshProof(path, bound, 'POST')], 'POST');
    expect([response.status, response.body]).toEqual([200, expect.any(String)]);
    const echoed = JSON.parse(response.body) as EchoBody;
    expect(echoed.headers['authorization']).toBe(`Bearer ${bound}`);
    expect(echoed.headers['dpop']).toBeUndefined();
    expect(echoed.headers['x-credential-identifier']).toBe('machine');
  });

  it('takes an introspected (opaque) bound token, whose cnf comes from the introspection answer', async () => {
    const { access_token: opaque } = await issueBoundToken(stack.idp.issuer, holder, { resource: OPAQUE_RESOURCE });
    expect(opaque.split('.')).toHaveLength(1);
    const path = pathUnder('/required');
    expect((await call(path, opaque, [await freshProof(path, opaque)])).status).toBe(200);
    const again = pathUnder('/required');
    expectRefused(await call(again, opaque, [await freshProof(again, opaque, 'GET', other)]), 'invalid_token', again);
    expectRefused(await call(again, opaque, [], 'GET', 'Bearer'), 'invalid_token', again);
  });

  it('holds another issuer\'s bound tokens to the same rule', async () => {
    const { access_token: partnerToken } = await issueBoundToken(partner.issuer, holder, { scope: 'orders:read' });
    const path = pathUnder('/required');
    expect((await call(path, partnerToken, [await freshProof(path, partnerToken)])).status).toBe(200);
    const again = pathUnder('/required');
    expectRefused(await call(again, partnerToken, [await freshProof(again, partnerToken, 'GET', other)]), 'invalid_token', again);
    expectRefused(await call(again, partnerToken, [await freshProof(again, bound)]), 'invalid_dpop_proof', again);
  });

  it('checks the proof on every request, the token being known from memory', async () => {
    const path = pathUnder('/optional');
    const proof = await freshProof(path);
    expect((await call(path, bound, [proof])).status).toBe(200);
    expectRefused(await call(path, bound, [proof]), 'invalid_dpop_proof', path, 1);
    expectRefused(await call(path, bound, []), 'invalid_dpop_proof', path, 1);
  });

  it('refuses a bound token sent as Bearer on dpop routes (RFC 9449 §7.2), and an unbound one where DPoP is required', async () => {
    for (const route of ['/optional', '/required']) {
      const path = pathUnder(route);
      expectRefused(await call(path, bound, [], 'GET', 'Bearer'), 'invalid_token', path);
    }
    const { access_token: plain } = await stack.idp.issueClientCredentialsToken('orders:read');
    expect((await call(pathUnder('/optional'), plain, [], 'GET', 'Bearer')).status).toBe(200);
    const path = pathUnder('/required');
    expectRefused(await call(path, plain, [], 'GET', 'Bearer'), 'invalid_token', path);
    expectRefused(await call(path, plain, [await freshProof(path, plain)]), 'invalid_token', path);
  });

  it('refuses the DPoP scheme where the route leaves dpop off, and there refuses a bound token sent as Bearer (RFC 9449 §7.2)', async () => {
    const path = pathUnder('/off');
    const refused = await call(path, bound, [await freshProof(path)]);
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(reached(path)).toBe(false);
    // A bound token copied from an upstream's log is worth nothing here without its key.
    const copied = pathUnder('/off');
    const asBearer = await call(copied, bound, [], 'GET', 'Bearer');
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(reached(copied)).toBe(false);
    const { access_token: plain } = await stack.idp.issueClientCredentialsToken('orders:read');
    expect((await call(pathUnder('/off'), plain, [], 'GET', 'Bearer')).status).toBe(200);
  });

  it('offers the DPoP scheme and its algorithms to a caller without credentials', async () => {
    const response = await requestWithProofs(`${stack.publicUrl}/optional/x`, {});
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer, DPoP algs="ES256 /);
  });

  it('never forwards a client\'s DPoP header, even where the BFF does not authenticate', async () => {
    const path = pathUnder('/public');
    const response = await requestWithProofs(`${stack.publicUrl}${path}`, { proofs: [await freshProof(path)] });
    expect(response.status).toBe(200);
    expect((JSON.parse(response.body) as EchoBody).headers['dpop']).toBeUndefined();
  });

  it('holds WebSocket handshakes to the same rule: a proof for GET at the handshake URI', async () => {
    const url = `${stack.publicUrl}/feed/live`;
    const refused = await openWebSocket(url, { headers: { authorization: `DPoP ${bound}` } });
    expect(refused).toMatchObject({ kind: 'refused', status: 401, body: { error: 'invalid_dpop_proof' } });
    const { socket } = opened(await openWebSocket(url, { headers: { authorization: `DPoP ${bound}`, dpop: await freshProof('/feed/live') } }));
    expect((await roundTrip(socket, 'ping')).toString()).toBe('ping');
    socket.close();
    expect(sockets.handshakes.at(-1)?.['dpop']).toBeUndefined();
    expect(sockets.handshakes.at(-1)?.['authorization']).toBe(`Bearer ${bound}`);
  });

  it('refuses every proof with one field mutated, and every attack on the request around it, forwarding nothing; the control passes', async () => {
    const attacks = [...PROOF_MUTATIONS.map(proofAttack), ...REQUEST_ATTACKS];
    const run = async (attack: Attack | undefined, route: string, method: string): Promise<void> => {
      const path = pathUnder(route);
      if (!attack) {
        const response = await call(`${path}?q=1`, bound, [await freshProof(path, bound, method)], method);
        expect([response.status, timesReached(path)]).toEqual([200, 1]);
        return;
      }
      const send = await attack.prepare(path, method);
      const before = timesReached(path);
      expectRefused(await send(), attack.error, path, before);
    };
    const attack = fc.option(fc.constantFrom(...attacks), { nil: undefined, freq: 8 });
    const route = fc.constantFrom('/optional', '/required');
    const method = fc.constantFrom('GET', 'POST', 'DELETE');
    await fc.assert(fc.asyncProperty(attack, route, method, run), {
      // Every attack at least once, then random combinations.
      examples: [...attacks.map((each): [Attack | undefined, string, string] => [each, '/required', 'GET']), [undefined, '/optional', 'GET']],
      numRuns: 60,
    });
  });
});
