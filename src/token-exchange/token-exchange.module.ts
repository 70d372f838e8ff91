import { Module } from '@nestjs/common';
import { OidcModule } from '../oidc/oidc.module';
import { SessionModule } from '../session/session.module';
import { TracingModule } from '../tracing/tracing.module';
import { ExchangeGrant } from './exchange-grant';
import { SessionExchanges } from './session-exchanges';
import { TokenExchanger } from './token-exchanger';
import { TokenExchanges } from './token-exchanges';

@Module({
  imports: [SessionModule, OidcModule, TracingModule],
  providers: [ExchangeGrant, SessionExchanges, TokenExchanges, TokenExchanger],
  exports: [TokenExchanger],
})
export class TokenExchangeModule {}
