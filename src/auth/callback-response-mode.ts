import { AppError } from '../common/app.error';
import type { OidcConfig } from '../config/app-config';

/**
 * With OIDC_RESPONSE_MODE=form_post the IdP answers with a POST; a GET carrying `code` did not come from it that way
 * (a code leaked into a URL, replayed through a link or Referer). Refused before the login state is looked at.
 */
export function assertQueryCallbackAllowed(responseMode: OidcConfig['responseMode'], parameters: URLSearchParams): void {
  if (responseMode === 'form_post' && parameters.has('code')) {
    throw new AppError(400, 'response_mode_mismatch', 'This login expects the identity provider to answer with form_post.');
  }
}
