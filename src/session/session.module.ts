import { Module } from '@nestjs/common';
import { SessionCache } from './session-cache';
import { SessionCookie } from './session-cookie';
import { SessionResolver } from './session.resolver';
import { SessionStore } from './session.store';
import { SessionWatch } from './session-watch';
import { TokenRefresher } from './token-refresher';

@Module({
  providers: [SessionCache, SessionStore, SessionCookie, SessionResolver, TokenRefresher, SessionWatch],
  exports: [SessionCache, SessionStore, SessionCookie, SessionResolver, TokenRefresher, SessionWatch],
})
export class SessionModule {}
