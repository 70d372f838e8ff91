import { Injectable, Logger } from '@nestjs/common';
import { OidcClient } from '../oidc/oidc.client';
import { SessionStore } from '../session/session.store';
import { AuthError } from './auth.errors';

const PRINTABLE_ASCII = /^[\x21-\x7e]{1,255}$/;

/**
 * OpenID Connect Front-Channel Logout 1.0 §3: the IdP loads our logout URI in a hidden iframe with `iss` and `sid`
 * (Okta's single logout). The iframe carries no usable session cookie (SameSite=Lax), so `sid` is what names the
 * sessions, and `iss` makes sure it is our issuer's `sid`.
 */
@Injectable()
export class FrontchannelLogoutService {
  private readonly logger = new Logger('FrontchannelLogout');

  constructor(
    private readonly oidc: OidcClient,
    private readonly sessions: SessionStore,
  ) {}

  /** The origin allowed to frame the answer: the issuer's. */
  get framingOrigin(): string {
    return new URL(this.oidc.issuer).origin;
  }

  async handle(iss: unknown, sid: unknown): Promise<number> {
    if (typeof iss !== 'string' || iss !== this.oidc.issuer) throw new AuthError('frontchannel_iss_invalid');
    if (typeof sid !== 'string' || !PRINTABLE_ASCII.test(sid)) throw new AuthError('frontchannel_sid_invalid');
    const ended = await this.sessions.destroyBySid(sid);
    if (ended === 0) throw new AuthError('frontchannel_sid_invalid');
    this.logger.log({ ended }, 'front-channel logout');
    return ended;
  }
}
