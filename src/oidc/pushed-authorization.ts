import { Logger } from '@nestjs/common';
import type { ServerMetadata } from 'openid-client';
import { AppError, ServiceUnavailableError } from '../common/app.error';
import type { OidcConfig } from '../config/app-config';
import { classifyIdpError, CLIENT_CREDENTIALS_HINT } from './idp-errors';

const logger = new Logger('OidcClient');

/** OIDC_PAR: `on` always, `auto` when the IdP says it requires pushed authorization requests (RFC 9126 §5), `off` never. */
export function usesPushedAuthorization(setting: OidcConfig['par'], metadata: ServerMetadata): boolean {
  return setting === 'on' || (setting === 'auto' && metadata.require_pushed_authorization_requests === true);
}

/** The IdP refused to take the pushed authorization request (its parameters or this client's authentication). */
export class IdpRejectedError extends AppError {
  constructor(cause: unknown) {
    super(502, 'idp_rejected', 'The identity provider rejected the authorization request; try again later.', { cause });
  }
}

/**
 * What a failed push becomes: the PAR endpoint unreachable (or answering 5xx, or not JSON) → 503, anything the IdP
 * refuses or answers wrongly → 502. Either way the browser is never sent on with the parameters in its URL.
 */
export function pushFailure(error: unknown): AppError {
  const failure = classifyIdpError(error);
  if (failure.kind === 'unreachable') {
    logger.warn({ failure }, 'the pushed authorization request endpoint is unreachable');
    return new ServiceUnavailableError('idp', error);
  }
  if (failure.kind === 'client_rejected') {
    logger.error({ failure }, `configuration error: the IdP refused this client at the PAR endpoint; ${CLIENT_CREDENTIALS_HINT}`);
  } else {
    logger.warn({ failure }, 'the IdP rejected the pushed authorization request');
  }
  return new IdpRejectedError(error);
}
