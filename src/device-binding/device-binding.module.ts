import { Module } from '@nestjs/common';
import { SessionModule } from '../session/session.module';
import { BindingStore } from './binding-store';
import { DeviceBindingController } from './device-binding.controller';
import { DeviceBindingService } from './device-binding.service';

/** Registration and refresh of device-bound sessions; the bound-cookie check itself is SessionModule's (BoundCookie). */
@Module({
  imports: [SessionModule],
  controllers: [DeviceBindingController],
  providers: [BindingStore, DeviceBindingService],
  exports: [DeviceBindingService],
})
export class DeviceBindingModule {}
