import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { randomState } from 'openid-client';
import type { OidcConfig } from '../config/app-config';
import { OIDC_CONFIG } from '../config/config.tokens';
import { classifyIdpError, reasonOf } from '../oidc/idp-errors';
import { OidcClient } from '../oidc/oidc.client';
import { sessionHandle } from '../session/session.keys';
import { SessionError } from '../session/session.errors';
import { SessionGate } from '../session/session-gate';
import { SessionStore } from '../session/session.store';
import { AuthError } from './auth.errors';
import type { DpopKey } from '../dpop/dpop-key';
import { timingSafeEqualText } from './timing-safe';

const REVOCATION_BUDGET_MS = 2000;

/** RP-initiated logout: end the vault session, revoke the refresh token, then end the session at the IdP. */
@Injectable()
export class LogoutService {
  private readonly logger = new Logger('Logout');

  constructor(
    private readonly gate: SessionGate,
    private readonly sessions: SessionStore,
    private readonly oidc: OidcClient,
    @Inject(OIDC_CONFIG) private readonly settings: OidcConfig,
  ) {}

  /** Returns where to send the browser. A missing or foreign `sid` is refused and the session stays. */
  async logout(request: IncomingMessage, sid: unknown): Promise<string> {
    let resolved;
    try {
      resolved = await this.gate.enter(request, { antiForgery: 'logout-sid', refresh: false });
    } catch (error: unknown) {
      if (error instanceof SessionError) return this.settings.postLogoutRedirectUri;
      throw error;
    }
    const { sessionId, session } = resolved;
    if (typeof sid !== 'string' || !timingSafeEqualText(sid, sessionHandle(session.keyHash))) throw new AuthError('sid_mismatch');

    // Revoked, not merely gone: the browser's other tabs and open sockets learn it was a logout (session_revoked).
    await this.sessions.destroy(sessionId, true);
    const { refreshToken, idToken, sub, dpopKey } = session.contents;
    if (refreshToken) await this.revokeQuietly(refreshToken, dpopKey);
    this.logger.log({ sub }, 'logged out');

    // Some providers return the browser to post_logout_redirect_uri only when a state came along (glewlwyd).
    const parameters: Record<string, string> = {
      post_logout_redirect_uri: this.settings.postLogoutRedirectUri,
      client_id: this.settings.clientId,
      state: randomState(),
    };
    if (idToken) parameters['id_token_hint'] = idToken;
    const endSession = await this.oidc.endSessionUrl(parameters).catch(() => undefined);
    return endSession?.href ?? this.settings.postLogoutRedirectUri;
  }

  private async revokeQuietly(refreshToken: string, dpopKey: DpopKey | undefined): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, REVOCATION_BUDGET_MS);
    });
    try {
      await Promise.race([this.oidc.revoke(refreshToken, 'refresh_token', dpopKey), budget]);
    } catch (error: unknown) {
      this.logger.warn({ failure: classifyIdpError(error), reason: reasonOf(error) }, 'refresh token revocation failed; the session is gone anyway');
    } finally {
      clearTimeout(timer);
    }
  }
}
