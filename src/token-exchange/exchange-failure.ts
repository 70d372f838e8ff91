import { Logger } from '@nestjs/common';
import { AppError, ServiceUnavailableError } from '../common/app.error';
import type { MetricsService } from '../metrics/metrics.service';
import { classifyIdpError, CLIENT_CREDENTIALS_HINT } from '../oidc/idp-errors';
import type { ExchangeTarget } from './exchange-target';

/** The contract's answer when the IdP will not give this caller a token for the route's upstream. */
export class TokenExchangeDenied extends AppError {
  constructor(cause?: unknown) {
    super(403, 'token_exchange_denied', 'The identity provider refused a token for this route\'s upstream.', { cause });
  }
}

const logger = new Logger('TokenExchange');

/**
 * What a failed exchange means for the caller. The IdP saying no — `invalid_grant` (the subject token), `invalid_target`,
 * `invalid_scope`, `unauthorized_client`, Okta's `access_denied` policy refusal, whatever the status — is a 403; the IdP
 * refusing the BFF's own client authentication (`invalid_client`, or a 401: RFC 6749 §5.2) or answering what the BFF
 * cannot use is the operator's to fix, and like an unreachable IdP a 503. Nothing is forwarded on any of them.
 */
export function exchangeFailure(error: unknown, target: ExchangeTarget, metrics: MetricsService): AppError {
  if (error instanceof AppError) return error;
  const failure = classifyIdpError(error);
  const { audience, resource, scope } = target;
  switch (failure.kind) {
    case 'unreachable':
      metrics.tokenExchanges.inc({ outcome: 'idp_unreachable' });
      return new ServiceUnavailableError('idp', error);
    case 'invalid_response':
      metrics.tokenExchanges.inc({ outcome: 'invalid_response' });
      logger.warn({ failure, audience, resource }, 'the IdP answered a token exchange with what the BFF cannot use');
      return new ServiceUnavailableError('idp', error);
    case 'client_rejected':
    case 'grant_rejected':
      if (failure.error === 'invalid_client' || failure.status === 401) {
        metrics.tokenExchanges.inc({ outcome: 'client_rejected' });
        logger.error({ failure }, `configuration error: the IdP refused this client's authentication for a token exchange; ${CLIENT_CREDENTIALS_HINT}`);
        return new ServiceUnavailableError('idp', error);
      }
      metrics.tokenExchanges.inc({ outcome: 'denied' });
      logger.warn({ failure, audience, resource, scope }, 'the IdP refused a token exchange');
      return new TokenExchangeDenied(error);
  }
}
