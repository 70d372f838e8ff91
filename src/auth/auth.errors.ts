import { AppError } from '../common/app.error';

const AUTH_ERRORS = {
  invalid_return_to: [400, 'returnTo must be a path on this site, such as /orders.'],
  state_missing: [400, 'The login response has no state.'],
  state_unknown: [400, 'The login attempt is unknown, expired or already used; start again.'],
  state_mismatch: [400, 'The login response does not belong to this browser; start again.'],
  idp_error: [401, 'The identity provider refused the login.'],
  code_rejected: [401, 'The identity provider rejected the authorization code.'],
  invalid_token_response: [401, 'The identity provider returned tokens that failed validation (ID token, token type).'],
  userinfo_rejected: [401, 'The identity provider\'s userinfo did not confirm the login (another user, or the token was refused).'],
  sid_mismatch: [400, 'The logout link does not match this session.'],
  invalid_logout_token: [400, 'The logout token is invalid.'],
  frontchannel_iss_invalid: [400, 'The logout request must name this application\'s issuer in iss.'],
  frontchannel_sid_invalid: [400, 'The logout request\'s sid names no session here.'],
} as const;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;

/** Login and logout failures, each with the contract's status. */
export class AuthError extends AppError {
  constructor(code: AuthErrorCode, cause?: unknown) {
    const [status, message] = AUTH_ERRORS[code];
    super(status, code, message, { cause });
  }
}
