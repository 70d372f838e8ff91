import { routeFor } from '../../../test/support/routes';
import { callerOf, request, setUp } from '../../../test/support/caller-authenticator-fixture';

describe('CallerAuthenticator with DPoP routes', () => {
  it('never serves a DPoP-bound token from memory: each request needs its proof', async () => {
    const { sut, world, tokens } = setUp();
    world.inMemory = { verified: true, callers: true, exchanged: false, session: false };
    const route = routeFor('/api', { auth: 'bearer', dpop: 'optional' });
    expect(sut.authenticateCached(request({ authorization: 'Bearer good-1' }), route)).toBe(callerOf('good-1'));
    expect(sut.authenticateCached(request({ authorization: 'DPoP good-bound' }), route)).toBeUndefined();
    await expect(sut.authenticate(request({ authorization: 'DPoP good-bound' }), route, '10.0.0.1')).rejects.toMatchObject({ status: 401, code: 'invalid_dpop_proof' });
    expect(tokens.of).not.toHaveBeenCalled();
  });

  it('refuses a bound token sent as Bearer, and counts it as a failed credential', async () => {
    const { sut, failures } = setUp();
    await expect(sut.authenticate(request({ authorization: 'Bearer good-bound' }), routeFor('/api', { auth: 'bearer', dpop: 'optional' }), '10.0.0.1')).rejects.toMatchObject({
      status: 401,
      code: 'invalid_token',
      options: { headers: { 'www-authenticate': expect.stringMatching(/^DPoP error="invalid_token"/) as unknown } },
    });
    expect(failures.recordFailure).toHaveBeenCalledWith('10.0.0.1');
  });

  it.each([
    ['DPoP', 'off'],
    ['Bearer', 'required'],
  ] as const)('refuses the %s scheme on a dpop: %s route without asking the IdP about the token', async (scheme, dpop) => {
    const { sut, verifier, failures } = setUp();
    await expect(sut.authenticate(request({ authorization: `${scheme} good-bound` }), routeFor('/api', { auth: 'bearer', dpop }), '10.0.0.1')).rejects.toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
    expect(verifier.verify).not.toHaveBeenCalled();
    expect(failures.recordFailure).toHaveBeenCalledTimes(1);
  });

  it('challenges a refused token in the scheme it came with', async () => {
    const { sut } = setUp();
    await expect(sut.authenticate(request({ authorization: 'DPoP bad' }), routeFor('/api', { auth: 'bearer', dpop: 'required' }), '10.0.0.1')).rejects.toMatchObject({
      options: { headers: { 'www-authenticate': expect.stringMatching(/^DPoP error="invalid_token", algs="/) as unknown } },
    });
  });

  it.each([
    ['off', 'Bearer'],
    ['optional', 'Bearer, DPoP algs="ES256'],
    ['required', 'DPoP algs="ES256'],
  ] as const)('offers a %s route\'s schemes to a caller without credentials', async (dpop, challenge) => {
    const { sut } = setUp();
    await expect(sut.authenticate(request(), routeFor('/api', { auth: 'bearer', dpop }), '10.0.0.1')).rejects.toMatchObject({
      options: { headers: { 'www-authenticate': expect.stringContaining(challenge) as unknown } },
    });
  });
});
