import { Logger } from '@nestjs/common';
import { ClientError, ResponseBodyError } from 'openid-client';
import { InvalidIdpAnswer } from '../oidc/idp-errors';
import { ServiceUnavailableError } from '../common/app.error';
import type { TokenResult } from '../oidc/token-result';
import { SessionEnded } from './session.errors';
import { FakeStore, heldElsewhereThen, refresherWith, session } from '../../test/support/refresher-fixture';

const oauthError = (status: number, error: string) =>
  new ResponseBodyError(error, { cause: { error }, response: new Response(null, { status }) });
const nonOAuthAnswer = (status: number, code = 'OAUTH_RESPONSE_IS_NOT_CONFORM') =>
  Object.assign(new ClientError('unexpected HTTP response status code', { cause: new Response(null, { status }) }), { code });

const rotated = (): Promise<TokenResult> =>
  Promise.resolve({ accessToken: 'at-new', refreshToken: 'rt-new', expiresAt: Date.now() + 300_000 });

describe('TokenRefresher', () => {
  it('leaves a token that is not due alone', async () => {
    const fresh = session(1, 600_000);
    const { sut, oidc } = refresherWith(new FakeStore(fresh), rotated);
    await expect(sut.ensureFresh('sid', fresh)).resolves.toBe(fresh);
    expect(oidc.refresh).not.toHaveBeenCalled();
  });

  it('makes one IdP call for many concurrent callers and stores the rotated refresh token', async () => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const { sut, oidc } = refresherWith(store, rotated);
    const results = await Promise.all(Array.from({ length: 50 }, () => sut.ensureFresh('sid', due)));
    expect(oidc.refresh).toHaveBeenCalledTimes(1);
    // A session without a DPoP key refreshes without a proof.
    expect(oidc.refresh).toHaveBeenCalledWith('rt-1', { issuer: 'https://idp.test', subject: 'user-1' }, undefined);
    expect(new Set(results.map((result) => result.contents.accessToken))).toEqual(new Set(['at-new']));
    expect(store.current?.contents.refreshToken).toBe('rt-new');
    expect(store.current?.version).toBe(2);
    expect(store.locked).toBe(false);
  });

  it('waits for another instance holding the lease and picks up its result without calling the IdP', async () => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const { sut, oidc } = refresherWith(store, rotated);
    heldElsewhereThen(store, () => (store.current = session(2, 600_000)));
    await expect(sut.ensureFresh('sid', due)).resolves.toMatchObject({ version: 2 });
    expect(oidc.refresh).not.toHaveBeenCalled();
  });

  it('does not refresh again when the stored session was refreshed just before the lease was taken', async () => {
    const stale = session(1, 30_000);
    const store = new FakeStore(session(2, 600_000));
    const { sut, oidc } = refresherWith(store, rotated);
    await expect(sut.ensureFresh('sid', stale)).resolves.toMatchObject({ version: 2 });
    expect(oidc.refresh).not.toHaveBeenCalled();
  });

  it('ends the session when the IdP answers invalid_grant', async () => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const invalidGrant = new ResponseBodyError('invalid_grant', {
      cause: { error: 'invalid_grant' },
      response: new Response(null, { status: 400 }),
    });
    const { sut } = refresherWith(store, () => Promise.reject(invalidGrant));
    await expect(sut.ensureFresh('sid', due)).rejects.toEqual(new SessionEnded('refresh_failed'));
    expect(store.destroyed).toBe(true);
  });

  it.each([
    ['an OAuth error other than invalid_grant', () => oauthError(400, 'server_error')],
    ['no body at all (glewlwyd)', () => nonOAuthAnswer(400)],
    ['a body that is not JSON', () => nonOAuthAnswer(400, 'OAUTH_RESPONSE_IS_NOT_JSON')],
  ])('ends the session when the IdP answers 400 with %s', async (_case, refusal) => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const { sut } = refresherWith(store, () => Promise.reject(refusal()));
    await expect(sut.ensureFresh('sid', due)).rejects.toEqual(new SessionEnded('refresh_failed'));
    expect(store.destroyed).toBe(true);
  });

  it.each([
    ['a refreshed ID token of another subject', 'id_token_subject_changed'],
    ['a token type other than Bearer', 'token_type'],
    ['no access token', 'access_token'],
  ])('ends the session when the answer carries %s', async (_case, code) => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const { sut } = refresherWith(store, () => Promise.reject(new InvalidIdpAnswer(code)));
    await expect(sut.ensureFresh('sid', due)).rejects.toEqual(new SessionEnded('refresh_failed'));
    expect(store.destroyed).toBe(true);
  });

  it('logs, at error level, that a refreshed ID token named another subject', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const due = session(1, 30_000);
      const { sut } = refresherWith(new FakeStore(due), () => Promise.reject(new InvalidIdpAnswer('id_token_subject_changed')));
      await expect(sut.ensureFresh('sid', due)).rejects.toEqual(new SessionEnded('refresh_failed'));
      expect(logged).toHaveBeenCalledWith(expect.objectContaining({ sub: 'user-1' }), expect.stringContaining('another subject'));
    } finally {
      logged.mockRestore();
    }
  });

  it.each([
    ['401 invalid_client', () => oauthError(401, 'invalid_client')],
    ['403 with an empty body', () => nonOAuthAnswer(403)],
  ])('answers 503 and keeps the session when the IdP refuses the client with %s, even while the old token lasts', async (_case, refusal) => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const { sut } = refresherWith(store, () => Promise.reject(refusal()));
    await expect(sut.ensureFresh('sid', due)).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(store.destroyed).toBe(false);
  });

  it.each([
    ['502 from a load balancer', () => nonOAuthAnswer(502)],
    ['503 temporarily_unavailable', () => nonOAuthAnswer(503)],
  ])('keeps the session when the IdP answers %s, using the old token while it is valid', async (_case, refusal) => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const { sut } = refresherWith(store, () => Promise.reject(refusal()));
    await expect(sut.ensureFresh('sid', due)).resolves.toMatchObject({ version: 1 });
    expect(store.destroyed).toBe(false);

    const expired = session(1, -1_000);
    const later = refresherWith(new FakeStore(expired), () => Promise.reject(refusal()));
    await expect(later.sut.ensureFresh('sid', expired)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('asks for the refresh with the session subject and the stored ID token issuer and nonce', async () => {
    const due = { ...session(1, 30_000) };
    const idClaims = { iss: 'https://idp.test', sub: 'user-1', nonce: 'n-1' };
    due.contents = { ...due.contents, idToken: `e30.${Buffer.from(JSON.stringify(idClaims)).toString('base64url')}.sig` };
    const { sut, oidc } = refresherWith(new FakeStore(due), rotated);
    await sut.ensureFresh('sid', due);
    expect(oidc.refresh).toHaveBeenCalledWith('rt-1', { issuer: 'https://idp.test', subject: 'user-1', nonce: 'n-1' }, undefined);
  });

  it('keeps the old token while the IdP is unreachable and the token is still valid, and answers 503 once it expired', async () => {
    const unreachable = () => Promise.reject(new TypeError('fetch failed'));
    const stillValid = session(1, 30_000);
    const first = refresherWith(new FakeStore(stillValid), unreachable);
    await expect(first.sut.ensureFresh('sid', stillValid)).resolves.toMatchObject({ version: 1 });

    const expired = session(1, -1_000);
    const second = refresherWith(new FakeStore(expired), unreachable);
    await expect(second.sut.ensureFresh('sid', expired)).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('does not overwrite a newer token set when its fenced write loses', async () => {
    const due = session(1, 30_000);
    const store = new FakeStore(due);
    const { sut } = refresherWith(store, async () => {
      store.current = session(5, 600_000);
      return rotated();
    });
    await expect(sut.ensureFresh('sid', due)).resolves.toMatchObject({ version: 5 });
    expect(store.current?.contents.accessToken).toBe('at-5');
  });
});
