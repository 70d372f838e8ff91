import { TracingModule } from '../tracing/tracing.module';
import { Module } from '@nestjs/common';
import type { ProxyConfig } from '../config/app-config';
import { ConfigurationError } from '../config/configuration.error';
import { PROXY_CONFIG } from '../config/config.tokens';
import { ConsumerModule } from '../consumer/consumer.module';
import { OidcModule } from '../oidc/oidc.module';
import { SessionModule } from '../session/session.module';
import { ThrottleModule } from '../throttle/throttle.module';
import { BearerVerifier } from './caller/bearer-verifier';
import { CallerAuthenticator } from './caller/caller-authenticator';
import { TokenCallers } from './caller/token-callers';
import { ClientCredentialsExchange } from './caller/client-credentials/client-credentials.exchange';
import { ForwardingRules } from './forwarding/forwarding-rules';
import { ProxyHandler } from './proxy.handler';
import { loadRoutes, RouteTable } from './forwarding/route-table';
import { UpstreamClient } from './forwarding/upstream.client';
import { WebSocketProxy } from './websocket.proxy';

@Module({
  imports: [SessionModule, ConsumerModule, OidcModule, ThrottleModule, TracingModule],
  providers: [
    {
      provide: RouteTable,
      inject: [PROXY_CONFIG],
      useFactory: (config: ProxyConfig) => {
        const loaded = loadRoutes(config);
        if (!loaded.ok) throw new ConfigurationError(loaded.problems);
        return new RouteTable(loaded.routes);
      },
    },
    BearerVerifier,
    ClientCredentialsExchange,
    TokenCallers,
    CallerAuthenticator,
    UpstreamClient,
    ForwardingRules,
    ProxyHandler,
    WebSocketProxy,
  ],
  exports: [ProxyHandler, WebSocketProxy],
})
export class ProxyModule {}
