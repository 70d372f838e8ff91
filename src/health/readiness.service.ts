import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RedisConnection } from '../redis/redis.connection';

export type ReadinessCheck = () => Promise<void>;
export interface ReadinessReport {
  ready: boolean;
  /** `up`, `down`, or a more precise reason a check gave (such as `issuer_mismatch`). */
  checks: Record<string, string>;
  /** Told, not counted in `ready`: each section's states by name (`issuers`: BEARER_EXTRA_ISSUERS). */
  informational: Record<string, Record<string, string>>;
}

/** Thrown by a check that knows more than "down": its status is reported instead. */
export class DependencyNotReady extends Error {
  constructor(readonly status: string) {
    super(`not ready: ${status}`);
  }
}

const CHECK_TIMEOUT_MS = 2000;

/** Redis and Postgres are checked here; features that own another dependency (the IdP) register their own check. */
@Injectable()
export class ReadinessService {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly sections = new Map<string, () => Record<string, string>>();

  constructor(redis: RedisConnection, @InjectDataSource() dataSource: DataSource) {
    this.register('redis', () => redis.ping());
    this.register('postgres', async () => {
      await dataSource.query('SELECT 1');
    });
  }

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** A section /readyz shows without counting it: what a feature knows of its own dependencies, without asking them. */
  describe(section: string, states: () => Record<string, string>): void {
    this.sections.set(section, states);
  }

  async report(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await statusOf(check)] as const),
    );
    const informational = Object.fromEntries([...this.sections].map(([section, states]) => [section, states()]));
    return { ready: entries.every(([, state]) => state === 'up'), checks: Object.fromEntries(entries), informational };
  }
}

async function statusOf(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch (error: unknown) {
    return error instanceof DependencyNotReady ? error.status : 'down';
  } finally {
    clearTimeout(timer);
  }
}
