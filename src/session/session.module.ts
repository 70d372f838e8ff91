import { Module } from '@nestjs/common';
import { SessionCookie } from './session-cookie';
import { SessionResolver } from './session.resolver';
import { SessionStore } from './session.store';

@Module({
  providers: [SessionStore, SessionCookie, SessionResolver],
  exports: [SessionStore, SessionCookie, SessionResolver],
})
export class SessionModule {}
