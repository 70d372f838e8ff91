import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsumerMappingService } from './consumer-mapping.service';
import { Consumer } from './consumer.entity';

/** What a request needs of consumers: claims → consumer. Their admin API is the admin plane's (admin/admin-plane.module.ts). */
@Module({
  imports: [TypeOrmModule.forFeature([Consumer])],
  providers: [ConsumerMappingService],
  exports: [ConsumerMappingService],
})
export class ConsumerModule {}
