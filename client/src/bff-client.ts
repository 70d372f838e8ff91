import { createBffFetch, type BffFetch } from './bff-fetch.js';
import type { BffUser } from './bff-user.js';
import { leavingPage, resolveOptions, type BffClientOptions } from './client-options.js';
import { loginUrl, type LoginOptions } from './login-url.js';
import { openSessionSocket, type SessionSocket, type SessionSocketOptions } from './session-socket.js';
import { silentLogin } from './silent-login.js';
import { requestUser, type UserAnswer } from './user-request.js';

export type { AuthFailure, AuthFailureReason, SessionReason } from './auth-failure.js';
export type { BackoffOptions } from './backoff.js';
export type { BffRequestInit, BffFetch } from './bff-fetch.js';
export type { BffUser } from './bff-user.js';
export type { BffClientOptions } from './client-options.js';
export type { LoginOptions } from './login-url.js';
export type { SessionSocket, SessionSocketOptions } from './session-socket.js';
export type { UserAnswer } from './user-request.js';

export interface BffClient {
  /** `window.fetch` plus the CSRF header and same-origin credentials; a BFF `401` becomes a login (opt out per call). */
  fetch: BffFetch;
  /** The signed-in user, or null when there is no live session. */
  user(): Promise<BffUser | null>;
  /** Like `user()`, with the BFF's reason when there is none (`session_expired`, `session_revoked`, …), e.g. for a notice. */
  userOrReason(): Promise<UserAnswer>;
  /** The `/auth/login` URL for these options, e.g. for a link. */
  loginUrl(options?: LoginOptions): string;
  /** Goes to the IdP's login; comes back to `returnTo` (default: this page). */
  login(options?: LoginOptions): void;
  /** True when a session exists, at once or after a `prompt=none` round trip to the IdP; false when it had none. */
  silentLogin(): Promise<boolean>;
  /** Ends the session at the BFF and the IdP (the promise stays pending while the browser leaves). */
  logout(): Promise<never>;
  /** A WebSocket bound to the session: reconnects after abnormal closes, goes to login when the session ends. */
  websocket(path: string, options?: SessionSocketOptions): SessionSocket;
}

export function createBffClient(clientOptions: BffClientOptions = {}): BffClient {
  const options = resolveOptions(clientOptions);
  return {
    fetch: createBffFetch(options),
    user: async () => (await requestUser(options)).user,
    userOrReason: () => requestUser(options),
    loginUrl,
    login: (login) => options.navigate(loginUrl(login)),
    silentLogin: () => silentLogin(options),
    logout: async () => {
      const { user } = await requestUser(options);
      // Without a session there is nothing to end here; the BFF sends the browser to POST_LOGOUT_REDIRECT_URI.
      options.navigate(user?.logoutUrl ?? '/auth/logout');
      return leavingPage<never>();
    },
    websocket: (path, socket = {}) => openSessionSocket(path, socket, options),
  };
}
