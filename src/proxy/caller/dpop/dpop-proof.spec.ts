import fc from 'fast-check';
import { draftProof, newDpopHolder, PROOF_MUTATIONS, proofFor, signProof, type DpopHolder, type ProofTarget } from '../../../../test/support/dpop-proofs';
import { checkDpopProof as check, type ProofExpectations } from './dpop-proof';
import { ProofKeys } from './proof-keys';

const ORIGIN = 'https://app.example.com';
const TOKEN = 'the-access-token';
const NOW = Date.parse('2026-12-06T20:00:00Z');
const target: ProofTarget = { method: 'GET', url: `${ORIGIN}/api/orders/1?page=2`, accessToken: TOKEN, iat: NOW / 1000 };

describe('checkDpopProof', () => {
  const keys = new ProofKeys();
  const checkDpopProof = (proof: string, expectations: ProofExpectations) => check(proof, expectations, keys);
  let holder: DpopHolder;
  let other: DpopHolder;
  let expectations: ProofExpectations;

  beforeAll(async () => {
    [holder, other] = await Promise.all([newDpopHolder(), newDpopHolder()]);
    expectations = { method: 'GET', publicOrigin: ORIGIN, path: '/api/orders/1', accessToken: TOKEN, boundKey: holder.thumbprint, now: NOW };
  });

  const rejection = (error: string) => ({ status: 401, code: error, options: { headers: { 'www-authenticate': expect.stringMatching(new RegExp(`^DPoP error="${error}", algs="ES256 `)) as unknown } } });

  it('accepts an honest proof and names its jti and key', async () => {
    const proof = await proofFor(holder, target);
    await expect(checkDpopProof(proof, expectations)).resolves.toEqual({ jti: expect.any(String) as unknown, keyThumbprint: holder.thumbprint });
  });

  it.each(['ES384', 'PS256', 'RS256', 'EdDSA', 'Ed25519'])('accepts a proof signed with %s', async (alg) => {
    const signer = await newDpopHolder(alg);
    await expect(checkDpopProof(await proofFor(signer, target), { ...expectations, boundKey: signer.thumbprint })).resolves.toMatchObject({ keyThumbprint: signer.thumbprint });
  });

  it.each([
    ['scheme and host in other case', 'HTTPS://App.Example.COM/api/orders/1'],
    ['the default port written out', 'https://app.example.com:443/api/orders/1'],
  ])('reads the htu with %s as the same URI', async (_case, htu) => {
    const draft = draftProof(holder, target);
    const proof = await signProof(holder, { ...draft, payload: { ...draft.payload, htu } });
    await expect(checkDpopProof(proof, expectations)).resolves.toMatchObject({ keyThumbprint: holder.thumbprint });
  });

  it('takes iat up to 60 s either way', async () => {
    for (const skew of [-60, 60]) {
      const proof = await proofFor(holder, { ...target, iat: NOW / 1000 + skew });
      await expect(checkDpopProof(proof, expectations)).resolves.toMatchObject({ keyThumbprint: holder.thumbprint });
    }
  });

  it.each(PROOF_MUTATIONS.map((mutation) => [mutation.name, mutation] as const))('refuses a proof with %s', async (_name, mutation) => {
    const proof = await signProof(holder, mutation.mutate(draftProof(holder, target), { holder, other }));
    await expect(checkDpopProof(proof, expectations)).rejects.toMatchObject(rejection(mutation.error));
  });

  it.each([
    ['garbage', 'not-a-proof'],
    ['a JWE-shaped value', 'a.b.c.d.e'],
    ['an empty signature', 'eyJhbGciOiJFUzI1NiJ9.e30.'],
  ])('refuses %s', async (_case, proof) => {
    await expect(checkDpopProof(proof, expectations)).rejects.toMatchObject(rejection('invalid_dpop_proof'));
  });

  it('never accepts a proof whose signed bytes were changed', async () => {
    const proof = await proofFor(holder, target);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: proof.length - 1 }), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), async (at, char) => {
        fc.pre(proof[at] !== '.' && proof[at] !== char);
        const tampered = `${proof.slice(0, at)}${char}${proof.slice(at + 1)}`;
        // Changing the last base64url character may leave the decoded bytes unchanged: then it is the same proof.
        const outcome = await checkDpopProof(tampered, expectations).then(() => 'accepted', () => 'refused');
        if (outcome === 'accepted') expect(Buffer.from(tampered.split('.')[2] ?? '', 'base64url')).toEqual(Buffer.from(proof.split('.')[2] ?? '', 'base64url'));
      }),
      { numRuns: 300 },
    );
  });
});
