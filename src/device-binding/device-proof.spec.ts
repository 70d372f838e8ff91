import { randomBytes } from 'node:crypto';
import { DeviceKey, macProof, unsecuredProof } from '../../test/support/dbsc-device';
import type { DeviceBinding, DevicePublicJwk } from './device-binding.types';
import { verifyRefreshProof, verifyRegistrationProof } from './device-proof';

const CHALLENGE = 'Vn3p0FKpQ9gQ2oP6b3P1dXb3tXc3Ww4S1mQ9nQ8r5Xw';

describe('verifyRegistrationProof', () => {
  it.each(['ES256', 'RS256'] as const)('accepts a %s proof signed by the key in its jwk header, and returns that key and the challenge', async (alg) => {
    const device = DeviceKey.create(alg);

    const proof = await verifyRegistrationProof(device.registrationProof(CHALLENGE, { payload: { authorization: 'code' } }));

    expect(proof).toEqual({ challenge: CHALLENGE, alg, jwk: device.publicJwk });
  });

  it('refuses a proof signed by another key than the one it carries', async () => {
    const device = DeviceKey.create();
    const other = DeviceKey.create();

    await expect(verifyRegistrationProof(other.registrationProof(CHALLENGE, { header: { jwk: device.publicJwk } }))).resolves.toBeUndefined();
  });

  it('refuses alg none, a MAC (HS256), and an algorithm the key does not have', async () => {
    const device = DeviceKey.create();
    const header = { typ: 'dbsc+jwt', jwk: device.publicJwk };
    const secret = randomBytes(32);

    await expect(verifyRegistrationProof(unsecuredProof(header, { jti: CHALLENGE }))).resolves.toBeUndefined();
    await expect(verifyRegistrationProof(macProof(secret, { ...header, jwk: { kty: 'oct', k: secret.toString('base64url') } }, { jti: CHALLENGE }))).resolves.toBeUndefined();
    await expect(verifyRegistrationProof(device.registrationProof(CHALLENGE, { header: { alg: 'RS256' } }))).resolves.toBeUndefined();
    await expect(verifyRegistrationProof(device.registrationProof(CHALLENGE, { header: { alg: 'ES384' } }))).resolves.toBeUndefined();
  });

  it('refuses a proof of another type, without a key in its header (the 2024 draft put it in the payload), or with a private key there', async () => {
    const device = DeviceKey.create();

    await expect(verifyRegistrationProof(device.registrationProof(CHALLENGE, { header: { typ: 'JWT' } }))).resolves.toBeUndefined();
    await expect(verifyRegistrationProof(device.refreshProof(CHALLENGE, { payload: { key: device.publicJwk } }))).resolves.toBeUndefined();
    await expect(verifyRegistrationProof(device.registrationProof(CHALLENGE, { header: { jwk: { ...device.publicJwk, d: 'private' } } }))).resolves.toBeUndefined();
  });

  it('refuses a proof without a challenge, an expired one, and anything that is not a JWS', async () => {
    const device = DeviceKey.create();

    await expect(verifyRegistrationProof(device.registrationProof(CHALLENGE, { payload: { jti: undefined } }))).resolves.toBeUndefined();
    await expect(verifyRegistrationProof(device.registrationProof(CHALLENGE, { payload: { jti: 42 } }))).resolves.toBeUndefined();
    await expect(verifyRegistrationProof(device.registrationProof(CHALLENGE, { payload: { exp: 1_000_000 } }))).resolves.toBeUndefined();
    await expect(verifyRegistrationProof('not.a.jws')).resolves.toBeUndefined();
  });
});

describe('verifyRefreshProof', () => {
  const device = DeviceKey.create();
  const binding: DeviceBinding = { id: 'binding-id-0123456789', alg: 'ES256', jwk: device.publicJwk as DevicePublicJwk, boundAt: 0 };

  it('accepts a proof by the registered key and returns its challenge, whatever key the JWT names itself', async () => {
    await expect(verifyRefreshProof(device.refreshProof(CHALLENGE), binding)).resolves.toBe(CHALLENGE);
    await expect(verifyRefreshProof(device.refreshProof(CHALLENGE, { header: { jwk: DeviceKey.create().publicJwk } }), binding)).resolves.toBe(CHALLENGE);
  });

  it('refuses a proof by another key, even one that names itself in its header', async () => {
    const thief = DeviceKey.create();

    await expect(verifyRefreshProof(thief.refreshProof(CHALLENGE), binding)).resolves.toBeUndefined();
    await expect(verifyRefreshProof(thief.registrationProof(CHALLENGE), binding)).resolves.toBeUndefined();
  });

  it('refuses alg none, HS256 and an algorithm other than the registered one', async () => {
    await expect(verifyRefreshProof(unsecuredProof({ typ: 'dbsc+jwt' }, { jti: CHALLENGE }), binding)).resolves.toBeUndefined();
    await expect(verifyRefreshProof(macProof(randomBytes(32), { typ: 'dbsc+jwt' }, { jti: CHALLENGE }), binding)).resolves.toBeUndefined();
    const rsa = DeviceKey.create('RS256');
    await expect(verifyRefreshProof(rsa.refreshProof(CHALLENGE), { ...binding, alg: 'RS256', jwk: rsa.publicJwk as DevicePublicJwk })).resolves.toBe(CHALLENGE);
    await expect(verifyRefreshProof(rsa.refreshProof(CHALLENGE), binding)).resolves.toBeUndefined();
  });
});
