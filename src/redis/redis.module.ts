import { Global, Module } from '@nestjs/common';
import { RedisLease } from './redis-lease';
import { RedisConnection } from './redis.connection';

@Global()
@Module({ providers: [RedisConnection, RedisLease], exports: [RedisConnection, RedisLease] })
export class RedisModule {}
