import { Inject, Injectable, Logger } from '@nestjs/common';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcConfig } from '../config/app-config';
import { OIDC_CONFIG } from '../config/config.tokens';
import { OidcClient } from '../oidc/oidc.client';
import { RedisConnection } from '../redis/redis.connection';
import { sha256Base64url } from '../common/sha256';
import { SessionStore } from '../session/session.store';
import { AuthError } from './auth.errors';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const MAX_TOKEN_AGE_SECONDS = 300;

/** OpenID Connect Back-Channel Logout 1.0 §2.6: validate the logout token, then end every matching session. */
@Injectable()
export class BackchannelLogoutService {
  private readonly logger = new Logger('BackchannelLogout');

  constructor(
    private readonly oidc: OidcClient,
    private readonly sessions: SessionStore,
    private readonly redis: RedisConnection,
    @Inject(OIDC_CONFIG) private readonly settings: OidcConfig,
  ) {}

  async handle(logoutToken: unknown): Promise<number> {
    if (typeof logoutToken !== 'string' || logoutToken.length === 0 || logoutToken.length > 16_384) {
      throw new AuthError('invalid_logout_token');
    }
    const claims = await this.verify(logoutToken);
    const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
    const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
    const forgetJti = await this.rejectReplay(claims.jti);
    let ended: number;
    try {
      ended = sid ? await this.sessions.destroyBySid(sid) : await this.sessions.destroyBySub(sub ?? '');
    } catch (error: unknown) {
      // Nothing was ended, so the IdP's retry of this very token must not be refused as a replay.
      await forgetJti();
      throw error;
    }
    this.logger.log({ sub, ended }, 'back-channel logout');
    return ended;
  }

  private async verify(token: string): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.oidc.jwks(), {
        issuer: this.oidc.issuer,
        audience: this.settings.clientId,
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        requiredClaims: ['iat', 'jti'],
        clockTolerance: 30,
      }));
    } catch (error: unknown) {
      if (error instanceof joseErrors.JOSEError) throw new AuthError('invalid_logout_token', error);
      throw error;
    }
    const events = payload['events'];
    const hasEvent = typeof events === 'object' && events !== null && BACKCHANNEL_EVENT in events;
    const hasSubject = typeof payload.sub === 'string' || typeof payload['sid'] === 'string';
    if (!hasEvent || !hasSubject || 'nonce' in payload || typeof payload.jti !== 'string') throw new AuthError('invalid_logout_token');
    return payload;
  }

  /**
   * Each logout token is accepted once (its `jti` is remembered for as long as the token could be valid). Returns a
   * function that forgets it again, for when the logout could not be carried out.
   */
  private async rejectReplay(jti: string | undefined): Promise<() => Promise<void>> {
    const key = this.redis.key('bcl-jti', sha256Base64url(`${this.oidc.issuer}|${jti ?? ''}`));
    const fresh = await this.redis.run((client) => client.set(key, '1', 'EX', MAX_TOKEN_AGE_SECONDS + 60, 'NX'));
    if (fresh !== 'OK') throw new AuthError('invalid_logout_token');
    return async () => {
      await this.redis.client.del(key).catch(() => 0);
    };
  }
}
