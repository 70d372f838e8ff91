import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AdminApiDocs } from '../admin/admin-api.docs';
import { AdminApi } from '../admin/admin-plane.decorator';
import { DatabaseUnavailableInterceptor } from '../database/database-unavailable.interceptor';
import { ConsumerPage, ConsumerResponse, CreateConsumerDto, ListConsumersQuery, UpdateConsumerDto } from './consumer.dto';
import { toConsumerResponse } from './consumer.response';
import { ConsumerService } from './consumer.service';

@ApiTags('consumers')
@AdminApi()
@AdminApiDocs()
@UseInterceptors(DatabaseUnavailableInterceptor)
@Controller('consumers')
export class ConsumerController {
  constructor(private readonly consumers: ConsumerService) {}

  @Post()
  @ApiCreatedResponse({ type: ConsumerResponse })
  @ApiBadRequestResponse({ description: 'Invalid body or unknown field' })
  @ApiConflictResponse({ description: 'Duplicate username or custom_id' })
  async create(@Body() body: CreateConsumerDto): Promise<ConsumerResponse> {
    return toConsumerResponse(await this.consumers.create(body));
  }

  @Get()
  @ApiOkResponse({ type: ConsumerPage })
  async list(@Query() query: ListConsumersQuery): Promise<ConsumerPage> {
    const page = await this.consumers.list(query);
    return { data: page.consumers.map(toConsumerResponse), next: page.nextCursor };
  }

  @Get(':idOrUsername')
  @ApiParam({ name: 'idOrUsername', description: 'The consumer id (uuid) or username' })
  @ApiOkResponse({ type: ConsumerResponse })
  @ApiNotFoundResponse()
  async get(@Param('idOrUsername') idOrUsername: string): Promise<ConsumerResponse> {
    return toConsumerResponse(await this.consumers.get(idOrUsername));
  }

  @Patch(':idOrUsername')
  @ApiParam({ name: 'idOrUsername', description: 'The consumer id (uuid) or username' })
  @ApiOkResponse({ type: ConsumerResponse })
  @ApiBadRequestResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse()
  async update(@Param('idOrUsername') idOrUsername: string, @Body() body: UpdateConsumerDto): Promise<ConsumerResponse> {
    return toConsumerResponse(await this.consumers.update(idOrUsername, body));
  }

  @Delete(':idOrUsername')
  @HttpCode(204)
  @ApiParam({ name: 'idOrUsername', description: 'The consumer id (uuid) or username' })
  @ApiNoContentResponse({ description: "Deleted; the consumer's sessions end too, and no instance injects it any more" })
  @ApiNotFoundResponse()
  async remove(@Param('idOrUsername') idOrUsername: string): Promise<void> {
    await this.consumers.remove(idOrUsername);
  }
}
