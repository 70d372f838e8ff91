import { Module } from '@nestjs/common';
import { ConsumerModule } from '../consumer/consumer.module';
import { DeviceBindingModule } from '../device-binding/device-binding.module';
import { OidcModule } from '../oidc/oidc.module';
import { ThrottleModule } from '../throttle/throttle.module';
import { SessionModule } from '../session/session.module';
import { AuthController } from './auth.controller';
import { ClientJwksController } from './client-jwks.controller';
import { BackchannelLogoutService } from './backchannel-logout.service';
import { FrontchannelLogoutService } from './frontchannel-logout.service';
import { LoginStateStore } from './login-state.store';
import { LoginService } from './login.service';
import { LogoutService } from './logout.service';

@Module({
  imports: [SessionModule, ConsumerModule, OidcModule, ThrottleModule, DeviceBindingModule],
  controllers: [AuthController, ClientJwksController],
  providers: [LoginService, LogoutService, BackchannelLogoutService, FrontchannelLogoutService, LoginStateStore],
})
export class AuthModule {}
