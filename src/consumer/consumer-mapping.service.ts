import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { AppError, ServiceUnavailableError } from '../common/app.error';
import type { ConsumerIdentity, ConsumerMapping } from '../identity/caller-identity';
import type { ConsumerConfig } from '../config/app-config';
import { CONSUMER_CONFIG } from '../config/config.tokens';
import { isDatabaseUnavailable } from '../database/database-errors';
import { MetricsService } from '../metrics/metrics.service';
import { disambiguatedUsername, requestedUsername } from './auto-created-username';
import { isUuid } from './consumer.cursor';
import { Consumer } from './consumer.entity';


type LookupField = ConsumerConfig['by'][number];

/**
 * Kong's OpenID Connect plugin rules: claim → consumer by the configured fields, then auto-create, anonymous, optional.
 * Consumers are never captured: an identity maps only to a consumer made for it (auto-created, matched by its
 * custom_id alone) or by an operator (matched by any configured field).
 */
@Injectable()
export class ConsumerMappingService {
  constructor(
    @Inject(CONSUMER_CONFIG) private readonly config: ConsumerConfig,
    @InjectRepository(Consumer) private readonly repository: Repository<Consumer>,
    // Optional so that the mapping rules can be exercised against a bare repository.
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  async map(claims: Readonly<Record<string, unknown>>): Promise<ConsumerMapping> {
    try {
      return await this.resolve(claims);
    } catch (error: unknown) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.metrics?.dependencyErrors.inc({ dependency: 'postgres' });
      throw new ServiceUnavailableError('postgres', error);
    }
  }

  /** Which of these consumers still exist: for callers mapped before, while deletions cannot be heard (consumer-deletion.ts). */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const rows = ids.length === 0 ? [] : await this.repository.find({ select: { id: true }, where: { id: In([...ids]) } });
    return new Set(rows.map((row) => row.id));
  }

  private async resolve(claims: Readonly<Record<string, unknown>>): Promise<ConsumerMapping> {
    const credential = claimValue(claims[this.config.claim]);
    const found = credential === undefined ? null : await this.findOrCreate(credential, claims);
    if (found) return { consumer: toMappedConsumer(found), credential, anonymous: false };
    const anonymous = this.config.anonymous === undefined ? null : await this.findByIdOrUsername(this.config.anonymous);
    if (anonymous) return { consumer: toMappedConsumer(anonymous), credential, anonymous: true };
    if (this.config.optional) return { consumer: null, credential, anonymous: false };
    throw new AppError(403, 'consumer_not_found', 'No consumer is mapped to this identity.');
  }

  private async findOrCreate(credential: string, claims: Readonly<Record<string, unknown>>): Promise<Consumer | null> {
    for (const field of this.config.by) {
      const found = await this.findBy(field, credential);
      if (found) return found;
    }
    return this.config.autoCreate ? this.autoCreate(credential, claims) : null;
  }

  private findBy(field: LookupField, value: string): Promise<Consumer | null> {
    switch (field) {
      case 'id':
        return isUuid(value) ? this.repository.findOneBy({ id: value.toLowerCase(), autoCreated: false }) : Promise.resolve(null);
      case 'custom_id':
        return this.repository.findOneBy({ customId: value });
      case 'username':
        // An auto-created consumer's username came from its user's own unverified claims: it identifies nobody.
        return this.repository.findOneBy({ username: value, autoCreated: false });
    }
  }

  /** ANONYMOUS_CONSUMER is the operator's choice of a consumer, so it is found by id or username whoever made it. */
  private async findByIdOrUsername(idOrUsername: string): Promise<Consumer | null> {
    const byId = isUuid(idOrUsername) ? await this.repository.findOneBy({ id: idOrUsername.toLowerCase() }) : null;
    return byId ?? this.repository.findOneBy({ username: idOrUsername });
  }

  /**
   * Race-safe: concurrent first logins all insert with ON CONFLICT DO NOTHING and then read the one row that won.
   * The username is made unique and never another consumer's custom_id; should it still clash, the row goes without.
   * Existing consumers are left as they are: one whose username is this new custom_id keeps it (a first login never
   * renames anyone), and cannot be taken for this identity, which usernames of auto-created consumers never map.
   */
  private async autoCreate(customId: string, claims: Readonly<Record<string, unknown>>): Promise<Consumer> {
    const username = await this.freeUsername(requestedUsername(claims), customId);
    const created = await this.insertIgnoringConflicts(customId, username);
    if (created) return created;
    if (username !== null) {
      const withoutUsername = await this.insertIgnoringConflicts(customId, null);
      if (withoutUsername) return withoutUsername;
    }
    // Only a delete racing this very insert gets here.
    throw new Error('auto-created consumer disappeared before it could be read');
  }

  private async freeUsername(requested: string | null, customId: string): Promise<string | null> {
    if (requested === null) return null;
    for (const candidate of [requested, disambiguatedUsername(requested, customId)]) {
      const clash = await this.repository.findOneBy([{ username: candidate }, { customId: candidate }]);
      if (!clash) return candidate;
    }
    return null;
  }

  private async insertIgnoringConflicts(customId: string, username: string | null): Promise<Consumer | null> {
    await this.repository.createQueryBuilder().insert().values({ customId, username, autoCreated: true }).orIgnore().updateEntity(false).execute();
    return this.repository.findOneBy({ customId });
  }
}

/** Kong accepts a string or a number as the claim's value; anything else identifies nobody. */
function claimValue(claim: unknown): string | undefined {
  if (typeof claim === 'string') return claim === '' ? undefined : claim;
  if (typeof claim === 'number' && Number.isFinite(claim)) return String(claim);
  return undefined;
}

function toMappedConsumer(consumer: Consumer): ConsumerIdentity {
  return { id: consumer.id, username: consumer.username, custom_id: consumer.customId };
}
