import { TracingModule } from '../tracing/tracing.module';
import { Module, type DynamicModule } from '@nestjs/common';
import { ConsumerModule } from '../consumer/consumer.module';
import { OidcModule } from '../oidc/oidc.module';
import { SessionModule } from '../session/session.module';
import { ThrottleModule } from '../throttle/throttle.module';
import { TokenExchangeModule } from '../token-exchange/token-exchange.module';
import { BearerVerifier } from './caller/bearer-verifier';
import { CallerAuthenticator } from './caller/caller-authenticator';
import { CredentialWatch } from './caller/credential-watch';
import { DpopGate } from './caller/dpop/dpop-gate';
import { DpopReplayGuard } from './caller/dpop/dpop-replay';
import { TokenCallers } from './caller/token-callers';
import { ClientCredentialsExchange } from './caller/client-credentials/client-credentials.exchange';
import { ForwardingRules } from './forwarding/forwarding-rules';
import { UpstreamDpop } from './forwarding/upstream-dpop';
import type { Route } from './forwarding/route';
import { ProxyHandler } from './proxy.handler';
import { RouteTable } from './forwarding/route-table';
import { UpstreamClient } from './forwarding/upstream.client';
import { WebSocketProxy } from './websocket.proxy';

@Module({})
export class ProxyModule {
  /** `routes`: ROUTES_FILE and the UPSTREAM_URL shortcut, loaded and checked once at boot (app.ts). */
  static forRoutes(routes: readonly Route[]): DynamicModule {
    return {
      module: ProxyModule,
      imports: [SessionModule, ConsumerModule, OidcModule, ThrottleModule, TracingModule, TokenExchangeModule],
      providers: [
        { provide: RouteTable, useValue: new RouteTable(routes) },
        BearerVerifier,
        ClientCredentialsExchange,
        TokenCallers,
        DpopReplayGuard,
        DpopGate,
        CallerAuthenticator,
        CredentialWatch,
        UpstreamClient,
        UpstreamDpop,
        ForwardingRules,
        ProxyHandler,
        WebSocketProxy,
      ],
      exports: [ProxyHandler, WebSocketProxy],
    };
  }
}
