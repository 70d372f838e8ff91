import { Module } from '@nestjs/common';
import { Tracing, TRACING_PROVIDER } from './tracing';

@Module({ providers: [TRACING_PROVIDER], exports: [Tracing] })
export class TracingModule {}
