import { Logger } from '@nestjs/common';
import { ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { AppError, ServiceUnavailableError } from '../common/app.error';
import { MetricsService } from '../metrics/metrics.service';
import { InvalidIdpAnswer } from '../oidc/idp-errors';
import { exchangeFailure, TokenExchangeDenied } from './exchange-failure';
import { exchangeTargetOf } from './exchange-target';

const target = exchangeTargetOf({ audience: 'api://orders' });
const oauthError = (status: number, error: string) =>
  new ResponseBodyError('server responded with an error in the response body', { cause: { error }, response: new Response(null, { status }) });
const challenge = (parameters: Record<string, string>) =>
  new WWWAuthenticateChallengeError('challenge', { cause: [{ scheme: 'basic', parameters }], response: new Response(null, { status: 401 }) });

describe('exchangeFailure', () => {
  let metrics: MetricsService;
  beforeEach(() => {
    metrics = new MetricsService();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['invalid_grant (the subject token)', oauthError(400, 'invalid_grant')],
    ['invalid_target', oauthError(400, 'invalid_target')],
    ['invalid_scope', oauthError(400, 'invalid_scope')],
    ['unauthorized_client (the grant is not on the app)', oauthError(400, 'unauthorized_client')],
    ['Okta\'s access_denied policy refusal as a 403', oauthError(403, 'access_denied')],
  ])('answers the IdP\'s refusal with %s as 403 token_exchange_denied', (_case, error) => {
    expect(exchangeFailure(error, target, metrics)).toBeInstanceOf(TokenExchangeDenied);
  });

  it.each([
    ['unreachable', new TypeError('fetch failed')],
    ['answering 503', Object.assign(new ClientError('unexpected HTTP response status code', { cause: new Response(null, { status: 503 }) }), { code: 'OAUTH_RESPONSE_IS_NOT_CONFORM' })],
    ['refusing the BFF\'s client with invalid_client', oauthError(400, 'invalid_client')],
    ['refusing the BFF\'s client with a bare 401 challenge', challenge({ realm: 'idp' })],
    ['answering a token that is not an access token', new InvalidIdpAnswer('issued_token_type')],
  ])('answers an IdP %s as 503, never a refusal of the caller', (_case, error) => {
    const answer = exchangeFailure(error, target, metrics);
    expect(answer).toBeInstanceOf(ServiceUnavailableError);
    expect(answer).toMatchObject({ status: 503, code: 'idp_unavailable' });
  });

  it('passes a failure already answered (a 503 from discovery) through', () => {
    const unavailable = new ServiceUnavailableError('idp');
    expect(exchangeFailure(unavailable, target, metrics)).toBe(unavailable);
  });

  it('counts each outcome', async () => {
    exchangeFailure(oauthError(400, 'invalid_target'), target, metrics);
    exchangeFailure(new TypeError('fetch failed'), target, metrics);
    const counted = Object.fromEntries((await metrics.tokenExchanges.get()).values.map((sample) => [String(sample.labels.outcome), sample.value]));
    expect(counted).toEqual({ denied: 1, idp_unreachable: 1 });
    expect(new TokenExchangeDenied()).toBeInstanceOf(AppError);
  });
});
