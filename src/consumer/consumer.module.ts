import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminModule } from '../admin/admin.module';
import { SessionModule } from '../session/session.module';
import { ConsumerMappingService } from './consumer-mapping.service';
import { ConsumerSessionsController } from './consumer-sessions.controller';
import { ConsumerController } from './consumer.controller';
import { Consumer } from './consumer.entity';
import { ConsumerService } from './consumer.service';

@Module({
  imports: [TypeOrmModule.forFeature([Consumer]), SessionModule, AdminModule],
  controllers: [ConsumerController, ConsumerSessionsController],
  providers: [ConsumerService, ConsumerMappingService],
  exports: [ConsumerService, ConsumerMappingService],
})
export class ConsumerModule {}
