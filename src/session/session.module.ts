import { TracingModule } from '../tracing/tracing.module';
import { Module } from '@nestjs/common';
import { OidcModule } from '../oidc/oidc.module';
import { SessionCache } from './session-cache';
import { SessionCookie } from './session-cookie';
import { SessionGate } from './session-gate';
import { SessionListing } from './session-listing';
import { SessionStore } from './session.store';
import { SessionWatch } from './session-watch';
import { TokenRefresher } from './token-refresher';
import { BoundCookie } from '../device-binding/bound-cookie';

@Module({
  imports: [OidcModule, TracingModule],
  providers: [SessionCache, SessionStore, SessionListing, SessionCookie, SessionGate, TokenRefresher, SessionWatch, BoundCookie],
  exports: [SessionCache, SessionStore, SessionListing, SessionCookie, SessionGate, SessionWatch, BoundCookie],
})
export class SessionModule {}
