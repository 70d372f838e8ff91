import { Module } from '@nestjs/common';
import { SessionCookie } from './session-cookie';
import { SessionResolver } from './session.resolver';
import { SessionStore } from './session.store';
import { TokenRefresher } from './token-refresher';

@Module({
  providers: [SessionStore, SessionCookie, SessionResolver, TokenRefresher],
  exports: [SessionStore, SessionCookie, SessionResolver, TokenRefresher],
})
export class SessionModule {}
