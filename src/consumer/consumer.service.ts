import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SessionCache } from '../session/session-cache';
import { SessionStore } from '../session/session.store';
import type { CreateConsumerDto, ListConsumersQuery, UpdateConsumerDto } from './consumer.dto';
import { Consumer } from './consumer.entity';
import { ConsumerNotFoundError, translateWriteError } from './consumer.errors';
import { decodeCursor, encodeCursor, isUuid } from './consumer.cursor';

export interface ConsumerPageResult {
  consumers: Consumer[];
  nextCursor: string | null;
}

@Injectable()
export class ConsumerService {
  constructor(
    @InjectRepository(Consumer) private readonly consumers: Repository<Consumer>,
    private readonly sessions: SessionStore,
    private readonly sessionEvents: SessionCache,
  ) {}

  async create(input: CreateConsumerDto): Promise<Consumer> {
    const consumer = this.consumers.create({
      username: input.username ?? null,
      customId: input.custom_id ?? null,
      tags: input.tags ?? [],
    });
    return this.consumers.save(consumer).catch(translateWriteError);
  }

  async list(query: ListConsumersQuery): Promise<ConsumerPageResult> {
    const builder = this.consumers.createQueryBuilder('consumer').orderBy('consumer.id', 'ASC').limit(query.size + 1);
    if (query.offset) builder.andWhere('consumer.id > :after', { after: decodeCursor(query.offset) });
    if (query.username !== undefined) builder.andWhere('consumer.username = :username', { username: query.username });
    if (query.custom_id !== undefined) builder.andWhere('consumer.customId = :customId', { customId: query.custom_id });
    if (query.tag !== undefined) builder.andWhere(':tag = ANY(consumer.tags)', { tag: query.tag });
    const rows = await builder.getMany();
    const page = rows.slice(0, query.size);
    const last = page.at(-1);
    return { consumers: page, nextCursor: rows.length > query.size && last ? encodeCursor(last.id) : null };
  }

  /** Kong's lookup: a UUID is tried as an id first, anything else (or an unknown id) as a username. */
  async get(idOrUsername: string): Promise<Consumer> {
    const consumer = await this.find(idOrUsername);
    if (!consumer) throw new ConsumerNotFoundError();
    return consumer;
  }

  async find(idOrUsername: string): Promise<Consumer | null> {
    // Postgres text cannot hold NUL (the query would fail), so no consumer has one.
    if (idOrUsername.includes('\u0000')) return null;
    if (isUuid(idOrUsername)) {
      const byId = await this.consumers.findOneBy({ id: idOrUsername.toLowerCase() });
      if (byId) return byId;
    }
    return this.consumers.findOneBy({ username: idOrUsername });
  }

  async update(idOrUsername: string, changes: UpdateConsumerDto): Promise<Consumer> {
    const consumer = await this.get(idOrUsername);
    if (changes.username !== undefined) consumer.username = changes.username;
    if (changes.custom_id !== undefined) consumer.customId = changes.custom_id;
    if (changes.tags !== undefined) consumer.tags = changes.tags;
    return this.consumers.save(consumer).catch(translateWriteError);
  }

  /**
   * Deletes the consumer, ends its sessions, and tells every instance to stop injecting it within 2 s: cached bearer
   * callers are forgotten and its token WebSockets closed (consumer-deletion.ts). Sessions first: should Redis fail,
   * the consumer is still there and the call can simply be retried.
   */
  async remove(idOrUsername: string): Promise<Consumer> {
    const consumer = await this.get(idOrUsername);
    await this.sessions.destroyByConsumer(consumer.id);
    await this.consumers.delete({ id: consumer.id });
    await this.sessionEvents.announceConsumerDeleted(consumer.id);
    return consumer;
  }
}
