import { createServer, connect, type Server, type Socket } from 'node:net';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import type { ConsumerConfig } from '../../src/config/app-config';
import { CONSUMER_CONFIG } from '../../src/config/config.tokens';
import { ConsumerMappingService } from '../../src/consumer/consumer-mapping.service';
import { Consumer } from '../../src/consumer/consumer.entity';
import { databaseOptions } from '../../src/database/database.options';
import { runMigrationsLocked } from '../../src/database/migrate';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const defaults: ConsumerConfig = {
  claim: 'sub',
  by: ['custom_id', 'username'],
  optional: false,
  autoCreate: false,
  anonymous: undefined,
  groupsClaim: 'groups',
};

describe('consumer mapping against Postgres', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let consumers: Repository<Consumer>;

  const mappingWith = (config: Partial<ConsumerConfig> = {}) => new ConsumerMappingService({ ...defaults, ...config }, consumers);
  const add = (username: string | null, customId: string | null) => consumers.save(consumers.create({ username, customId }));
  const rowsWithCustomId = (customId: string) => consumers.countBy({ customId });

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource(databaseOptions(database.url, [Consumer])).initialize();
    await runMigrationsLocked(dataSource);
    consumers = dataSource.getRepository(Consumer);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('is resolved by Nest with its configuration and repository', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TypeOrmModule.forRoot(databaseOptions(database.url, [Consumer])), TypeOrmModule.forFeature([Consumer])],
      providers: [{ provide: CONSUMER_CONFIG, useValue: defaults }, ConsumerMappingService],
    }).compile();
    const alice = await add('nest-alice', 'nest-sub-alice');
    try {
      const sut = moduleRef.get(ConsumerMappingService);

      await expect(sut.map({ sub: 'nest-sub-alice' })).resolves.toMatchObject({ consumer: { id: alice.id } });
    } finally {
      await moduleRef.close();
    }
  });

  it('tells which consumers still exist, for the sockets of callers mapped before', async () => {
    const [kept, gone] = [await add('exists-kept', null), await add('exists-gone', null)];
    await consumers.delete({ id: gone.id });
    const sut = mappingWith();

    await expect(sut.existing([kept.id, gone.id, '00000000-0000-4000-8000-000000000000'])).resolves.toEqual(new Set([kept.id]));
    await expect(sut.existing([])).resolves.toEqual(new Set());
  });

  it('matches custom_id before username by default', async () => {
    const byCustomId = await add('order-a', 'order-shared');
    await add('order-shared', 'order-b');
    const sut = mappingWith();

    await expect(sut.map({ sub: 'order-shared' })).resolves.toEqual({
      consumer: { id: byCustomId.id, username: 'order-a', custom_id: 'order-shared' },
      credential: 'order-shared',
      anonymous: false,
    });
  });

  it('matches username first when configured so', async () => {
    await add('order2-a', 'order2-shared');
    const byUsername = await add('order2-shared', 'order2-b');
    const sut = mappingWith({ by: ['username', 'custom_id'] });

    await expect(sut.map({ sub: 'order2-shared' })).resolves.toMatchObject({ consumer: { id: byUsername.id } });
  });

  it('falls through to a later field when earlier ones find nothing', async () => {
    const onlyUsername = await add('fallthrough-user', null);
    const sut = mappingWith({ by: ['id', 'custom_id', 'username'] });

    await expect(sut.map({ sub: 'fallthrough-user' })).resolves.toMatchObject({ consumer: { id: onlyUsername.id } });
  });

  it('matches by id a claim that is a UUID, in any case', async () => {
    const target = await add('by-id', null);
    const sut = mappingWith({ by: ['id'] });

    await expect(sut.map({ sub: target.id.toUpperCase() })).resolves.toMatchObject({ consumer: { id: target.id } });
  });

  it('never queries id with a value that is not a UUID, so Postgres raises no cast error', async () => {
    const sut = mappingWith({ by: ['id'], optional: true });

    await expect(sut.map({ sub: 'not-a-uuid' })).resolves.toEqual({ consumer: null, credential: 'not-a-uuid', anonymous: false });
  });

  it('uses the anonymous consumer, by username or by id, when nothing matches', async () => {
    const guest = await add('anonymous-guest', null);

    await expect(mappingWith({ anonymous: 'anonymous-guest' }).map({ sub: 'unknown-1' })).resolves.toEqual({
      consumer: { id: guest.id, username: 'anonymous-guest', custom_id: null },
      credential: 'unknown-1',
      anonymous: true,
    });
    await expect(mappingWith({ anonymous: guest.id }).map({ sub: 'unknown-2' })).resolves.toMatchObject({
      consumer: { id: guest.id },
      anonymous: true,
    });
  });

  it('treats an anonymous consumer that does not exist as no mapping', async () => {
    await expect(mappingWith({ anonymous: 'no-such-guest' }).map({ sub: 'unknown-3' })).rejects.toMatchObject({
      status: 403,
      code: 'consumer_not_found',
    });
  });

  it('maps an unknown identity to nobody when consumers are optional', async () => {
    await expect(mappingWith({ optional: true }).map({ sub: 'unknown-4' })).resolves.toEqual({
      consumer: null,
      credential: 'unknown-4',
      anonymous: false,
    });
  });

  it('refuses an unknown identity with 403 consumer_not_found', async () => {
    await expect(mappingWith().map({ sub: 'unknown-5' })).rejects.toMatchObject({ status: 403, code: 'consumer_not_found' });
  });

  it('auto-creates a consumer at first login and finds the same one afterwards', async () => {
    const sut = mappingWith({ autoCreate: true });

    const first = await sut.map({ sub: 'auto-1', preferred_username: 'auto-user-1', email: 'auto1@example.com' });
    const second = await sut.map({ sub: 'auto-1' });

    expect(first).toMatchObject({ consumer: { username: 'auto-user-1', custom_id: 'auto-1' }, anonymous: false });
    expect(second.consumer?.id).toBe(first.consumer?.id);
    await expect(rowsWithCustomId('auto-1')).resolves.toBe(1);
  });

  it('makes exactly one consumer when ten first logins race', async () => {
    const sut = mappingWith({ autoCreate: true });
    const claims = { sub: 'race-sub', preferred_username: 'race-user' };

    const mappings = await Promise.all(Array.from({ length: 10 }, () => sut.map(claims)));

    await expect(rowsWithCustomId('race-sub')).resolves.toBe(1);
    const stored = await consumers.findOneByOrFail({ customId: 'race-sub' });
    expect(stored.username).toBe('race-user');
    expect(new Set(mappings.map((mapping) => mapping.consumer?.id))).toEqual(new Set([stored.id]));
  });

  it('makes exactly one consumer when racing first logins want a username someone else holds', async () => {
    await add('taken-in-race', 'race-holder');
    const sut = mappingWith({ autoCreate: true });

    const mappings = await Promise.all(Array.from({ length: 10 }, () => sut.map({ sub: 'race-sub-2', preferred_username: 'taken-in-race' })));

    await expect(rowsWithCustomId('race-sub-2')).resolves.toBe(1);
    const usernames = new Set(mappings.map((mapping) => mapping.consumer?.username));
    expect(usernames.size).toBe(1);
    expect([...usernames][0]).toMatch(/^taken-in-race#[\w-]{8}$/);
  });

  it('auto-creates with a suffixed username when that username belongs to another consumer', async () => {
    const holder = await add('collide', 'collide-holder');
    const sut = mappingWith({ autoCreate: true });

    const mapping = await sut.map({ sub: 'collide-newcomer', email: 'collide' });

    expect(mapping.consumer?.custom_id).toBe('collide-newcomer');
    expect(mapping.consumer?.username).toMatch(/^collide#/);
    expect(mapping.consumer?.id).not.toBe(holder.id);
    await expect(consumers.findOneByOrFail({ id: holder.id })).resolves.toMatchObject({ username: 'collide', customId: 'collide-holder' });
  });

  it('reports Postgres going away as 503 postgres_unavailable', async () => {
    const proxy = await startTcpProxy(new URL(database.url));
    const url = new URL(database.url);
    url.host = `127.0.0.1:${proxy.port}`;
    const viaProxy = await new DataSource(databaseOptions(url.toString(), [Consumer])).initialize();
    try {
      const sut = new ConsumerMappingService({ ...defaults, optional: true }, viaProxy.getRepository(Consumer));
      await expect(sut.map({ sub: 'before-outage' })).resolves.toMatchObject({ consumer: null });

      await proxy.close();

      // The first call meets a pooled connection that was cut, the second a refused new one.
      await expect(sut.map({ sub: 'during-outage' })).rejects.toMatchObject({ status: 503, code: 'postgres_unavailable' });
      await expect(sut.map({ sub: 'still-down' })).rejects.toMatchObject({ status: 503, code: 'postgres_unavailable' });
    } finally {
      await viaProxy.destroy();
    }
  });
});

/** A TCP relay to Postgres that the test can cut, as a network outage would. */
async function startTcpProxy(target: URL): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
