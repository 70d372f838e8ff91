import { AppError } from '../common/app.error';

/** Why a session that existed cannot continue: the contract's 401 reasons for a cookie that no longer works. */
export type SessionEndReason = 'session_expired' | 'session_revoked' | 'refresh_failed';

/** Every 401 the session protocol answers: no session cookie at all, or one whose session ended. */
export type SessionFailure = 'not_authenticated' | SessionEndReason;

const MESSAGES: Record<SessionFailure, string> = {
  not_authenticated: 'Sign in to continue.',
  session_expired: 'Your session has expired; sign in again.',
  session_revoked: 'Your session was ended elsewhere; sign in again.',
  refresh_failed: 'Your sign-in could not be renewed; sign in again.',
};

/** Thrown inside `session/` when a session cannot continue; SessionGate turns it into the SessionError the caller sees. */
export class SessionEnded extends Error {
  constructor(readonly reason: SessionEndReason) {
    super(reason);
  }
}

/** A 401 the SPA can act on: the reason, and where to send the user to log in again. */
export class SessionError extends AppError {
  constructor(reason: SessionFailure, loginUrl: string, clearCookie?: string) {
    super(401, reason, MESSAGES[reason], {
      body: { login_url: loginUrl },
      headers: clearCookie ? { 'set-cookie': clearCookie } : {},
    });
  }
}

export class CsrfHeaderMissingError extends AppError {
  constructor(header: string) {
    super(403, 'csrf_header_missing', `Cookie-authenticated API calls must send the ${header}: 1 header.`);
  }
}
