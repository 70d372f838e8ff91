import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';

const PRINTABLE = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
const TAG = /^[\w.:@\-/]+$/;
// A filter value with NUL could only fail in Postgres (text cannot hold it): refuse it as a bad request instead.
// eslint-disable-next-line no-control-regex
const NO_NUL = /^[^\u0000]*$/;

export class CreateConsumerDto {
  @ApiPropertyOptional({ example: 'alice', description: 'Unique; one of username and custom_id is required' })
  @ValidateIf((body: CreateConsumerDto) => body.custom_id == null || body.username !== undefined)
  @IsDefined({ message: 'username or custom_id is required' })
  @IsString()
  @Length(1, 255)
  @Matches(PRINTABLE, { message: 'username must not contain control characters' })
  username?: string;

  @ApiPropertyOptional({ example: '00u1abcd2EFGH3ijk4l5', description: "Unique; typically the IdP's sub claim" })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(PRINTABLE, { message: 'custom_id must not contain control characters' })
  custom_id?: string;

  @ApiPropertyOptional({ type: [String], example: ['team-a'] })
  @ValidateIf((body: { tags?: unknown }) => body.tags !== undefined)
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  @Matches(TAG, { each: true, message: 'tags may hold letters, digits and _ . : @ - / only' })
  tags?: string[];
}

export class UpdateConsumerDto {
  @ApiPropertyOptional({ nullable: true, description: 'null clears it (custom_id must then remain)' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(PRINTABLE, { message: 'username must not contain control characters' })
  username?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'null clears it (username must then remain)' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(PRINTABLE, { message: 'custom_id must not contain control characters' })
  custom_id?: string | null;

  @ApiPropertyOptional({ type: [String] })
  @ValidateIf((body: { tags?: unknown }) => body.tags !== undefined)
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  @Matches(TAG, { each: true, message: 'tags may hold letters, digits and _ . : @ - / only' })
  tags?: string[];
}

export class ListConsumersQuery {
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  size = 100;

  @ApiPropertyOptional({ description: 'The `next` cursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  offset?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, { message: 'username must not contain NUL' })
  username?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(NO_NUL, { message: 'custom_id must not contain NUL' })
  custom_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @Matches(NO_NUL, { message: 'tag must not contain NUL' })
  tag?: string;
}

export class ConsumerResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String }) username!: string | null;
  @ApiProperty({ nullable: true, type: String }) custom_id!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class ConsumerPage {
  @ApiProperty({ type: [ConsumerResponse] }) data!: ConsumerResponse[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `offset` for the next page' }) next!: string | null;
}
