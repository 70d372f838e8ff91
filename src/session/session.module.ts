import { Module } from '@nestjs/common';
import { SessionCache } from './session-cache';
import { SessionCookie } from './session-cookie';
import { SessionResolver } from './session.resolver';
import { SessionStore } from './session.store';
import { TokenRefresher } from './token-refresher';

@Module({
  providers: [SessionCache, SessionStore, SessionCookie, SessionResolver, TokenRefresher],
  exports: [SessionCache, SessionStore, SessionCookie, SessionResolver, TokenRefresher],
})
export class SessionModule {}
