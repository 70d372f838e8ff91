import { Controller, Delete, Get, HttpCode, Param, UseInterceptors } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminApiDocs } from '../admin/admin-api.docs';
import { AdminApi } from '../admin/admin-plane.decorator';
import { DatabaseUnavailableInterceptor } from '../database/database-unavailable.interceptor';
import { SessionListing } from '../session/session-listing';
import { SessionStore } from '../session/session.store';
import { ConsumerService } from './consumer.service';

class SessionSummaryResponse {
  @ApiProperty({ description: 'A handle for the session, never its cookie value' }) id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) last_seen_at!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ nullable: true, type: String }) user_agent!: string | null;
  @ApiProperty({ description: "Bound to the browser's device key (Device Bound Session Credentials)" }) device_bound!: boolean;
}

class SessionList {
  @ApiProperty({ type: [SessionSummaryResponse] }) data!: SessionSummaryResponse[];
}

@ApiTags('consumers')
@AdminApi()
@AdminApiDocs()
@UseInterceptors(DatabaseUnavailableInterceptor)
@Controller('consumers/:idOrUsername/sessions')
export class ConsumerSessionsController {
  constructor(
    private readonly consumers: ConsumerService,
    private readonly sessions: SessionStore,
    private readonly listing: SessionListing,
  ) {}

  @Get()
  @ApiParam({ name: 'idOrUsername', description: 'The consumer id (uuid) or username' })
  @ApiOkResponse({ type: SessionList })
  @ApiNotFoundResponse()
  async list(@Param('idOrUsername') idOrUsername: string): Promise<SessionList> {
    const consumer = await this.consumers.get(idOrUsername);
    return { data: await this.listing.listByConsumer(consumer.id) };
  }

  @Delete()
  @HttpCode(204)
  @ApiParam({ name: 'idOrUsername', description: 'The consumer id (uuid) or username' })
  @ApiNoContentResponse({ description: "All of the consumer's sessions ended" })
  @ApiNotFoundResponse()
  async endAll(@Param('idOrUsername') idOrUsername: string): Promise<void> {
    const consumer = await this.consumers.get(idOrUsername);
    await this.sessions.destroyByConsumer(consumer.id);
  }
}
