import { Global, Module } from '@nestjs/common';
import { OidcClient } from './oidc.client';

@Global()
@Module({ providers: [OidcClient], exports: [OidcClient] })
export class OidcModule {}
