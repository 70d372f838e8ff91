import { QueryFailedError, type Repository } from 'typeorm';
import { AppError } from '../common/app.error';
import type { ConsumerConfig } from '../config/app-config';
import { ConsumerMappingService } from './consumer-mapping.service';
import { Consumer } from './consumer.entity';
import { FakeConsumerRepository } from '../../test/support/fake-consumer-repository';

const defaults: ConsumerConfig = {
  claim: 'sub',
  by: ['custom_id', 'username'],
  optional: false,
  autoCreate: false,
  anonymous: undefined,
  groupsClaim: 'groups',
};

describe('ConsumerMappingService', () => {
  let repository: FakeConsumerRepository;

  const build = (config: Partial<ConsumerConfig> = {}) =>
    new ConsumerMappingService({ ...defaults, ...config }, repository as unknown as Repository<Consumer>);

  beforeEach(() => {
    repository = new FakeConsumerRepository();
  });

  it('maps the sub claim to the consumer with that custom_id', async () => {
    const alice = repository.add({ username: 'alice', customId: 'sub-alice' });
    const sut = build();

    await expect(sut.map({ sub: 'sub-alice' })).resolves.toEqual({
      consumer: { id: alice.id, username: 'alice', custom_id: 'sub-alice' },
      credential: 'sub-alice',
      anonymous: false,
    });
  });

  it('falls back to the next field when the first finds nothing', async () => {
    const bob = repository.add({ username: 'bob', customId: null });
    const sut = build();

    await expect(sut.map({ sub: 'bob' })).resolves.toMatchObject({ consumer: { id: bob.id } });
    expect(repository.lookups).toEqual([{ customId: 'bob' }, { username: 'bob', autoCreated: false }]);
  });

  it('takes the first match in the configured order', async () => {
    const byUsername = repository.add({ username: 'shared', customId: 'other' });
    repository.add({ username: 'someone', customId: 'shared' });
    const sut = build({ by: ['username', 'custom_id'] });

    await expect(sut.map({ sub: 'shared' })).resolves.toMatchObject({ consumer: { id: byUsername.id } });
  });

  it('looks a value up by id only when it is a UUID', async () => {
    const carol = repository.add({ username: 'carol', customId: null });
    const sut = build({ by: ['id', 'username'] });

    await expect(sut.map({ sub: carol.id.toUpperCase() })).resolves.toMatchObject({ consumer: { id: carol.id } });
    await expect(sut.map({ sub: 'carol' })).resolves.toMatchObject({ consumer: { id: carol.id } });
    expect(repository.lookups).toEqual([{ id: carol.id, autoCreated: false }, { username: 'carol', autoCreated: false }]);
  });

  it('reads the configured claim and turns a number into a string', async () => {
    const dave = repository.add({ username: null, customId: '42' });
    const sut = build({ claim: 'employee_id' });

    await expect(sut.map({ sub: 'ignored', employee_id: 42 })).resolves.toMatchObject({ consumer: { id: dave.id }, credential: '42' });
  });

  it.each([
    ['missing', {}],
    ['empty', { sub: '' }],
    ['a boolean', { sub: true }],
    ['an object', { sub: { id: 'x' } }],
    ['an array', { sub: ['x'] }],
    ['not a finite number', { sub: Number.NaN }],
  ])('treats a claim that is %s as no identity at all', async (_case, claims) => {
    const sut = build({ optional: true, autoCreate: true });

    await expect(sut.map(claims)).resolves.toEqual({ consumer: null, credential: undefined, anonymous: false });
    expect(repository.lookups).toEqual([]);
    expect(repository.inserts).toEqual([]);
  });

  it('refuses an identity that maps to no consumer with a 403 consumer_not_found', async () => {
    const sut = build();

    const failure = sut.map({ sub: 'nobody' });

    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({ status: 403, code: 'consumer_not_found' });
  });

  it('allows an unmapped identity when consumers are optional, keeping the credential', async () => {
    const sut = build({ optional: true });

    await expect(sut.map({ sub: 'nobody' })).resolves.toEqual({ consumer: null, credential: 'nobody', anonymous: false });
  });

  it('uses the anonymous consumer, found by username, when nothing else matches', async () => {
    const guest = repository.add({ username: 'guest', customId: null });
    const sut = build({ anonymous: 'guest', optional: true });

    await expect(sut.map({ sub: 'nobody' })).resolves.toEqual({
      consumer: { id: guest.id, username: 'guest', custom_id: null },
      credential: 'nobody',
      anonymous: true,
    });
  });

  it('uses the anonymous consumer found by id', async () => {
    const guest = repository.add({ username: 'guest', customId: null });
    const sut = build({ anonymous: guest.id });

    await expect(sut.map({ sub: 'nobody' })).resolves.toMatchObject({ consumer: { id: guest.id }, anonymous: true });
  });

  it('treats an anonymous consumer that does not exist as no mapping', async () => {
    await expect(build({ anonymous: 'ghost' }).map({ sub: 'nobody' })).rejects.toMatchObject({ code: 'consumer_not_found' });
    await expect(build({ anonymous: 'ghost', optional: true }).map({ sub: 'nobody' })).resolves.toMatchObject({ consumer: null });
  });

  it('auto-creates a consumer named after preferred_username, then email', async () => {
    const sut = build({ autoCreate: true });

    await expect(sut.map({ sub: 's1', preferred_username: 'erin', email: 'erin@example.com' })).resolves.toMatchObject({
      consumer: { username: 'erin', custom_id: 's1' },
      anonymous: false,
    });
    await expect(sut.map({ sub: 's2', email: 'frank@example.com' })).resolves.toMatchObject({
      consumer: { username: 'frank@example.com', custom_id: 's2' },
    });
    await expect(sut.map({ sub: 's3', preferred_username: 7 })).resolves.toMatchObject({ consumer: { username: null, custom_id: 's3' } });
  });

  it('auto-creates with a suffixed username when another consumer already holds it', async () => {
    const holder = repository.add({ username: 'erin', customId: 'someone-else' });
    const sut = build({ autoCreate: true });

    const mapping = await sut.map({ sub: 'new-sub', preferred_username: 'erin' });

    expect(mapping.consumer?.custom_id).toBe('new-sub');
    expect(mapping.consumer?.username).toMatch(/^erin#[\w-]{8}$/);
    expect(mapping.consumer?.id).not.toBe(holder.id);
  });

  it('never gives an auto-created consumer a username that is another consumer’s custom_id', async () => {
    repository.add({ username: null, customId: 'victim-sub' });
    const sut = build({ autoCreate: true });

    const mapping = await sut.map({ sub: 'attacker-sub', preferred_username: 'victim-sub' });

    expect(mapping.consumer?.username).toMatch(/^victim-sub#/);
  });

  it('never maps an identity onto an auto-created consumer by its username (consumer capture)', async () => {
    const sut = build({ autoCreate: true });
    // The attacker signs in first, naming himself after the victim's not-yet-seen sub.
    const attacker = await sut.map({ sub: 'attacker-sub', preferred_username: 'victim-sub' });
    expect(attacker.consumer?.username).toBe('victim-sub');

    const victim = await sut.map({ sub: 'victim-sub', preferred_username: 'victim' });

    expect(victim.consumer).toMatchObject({ custom_id: 'victim-sub', username: 'victim' });
    expect(victim.consumer?.id).not.toBe(attacker.consumer?.id);
    // …and the attacker's consumer is left as it was: a first login never renames an existing consumer.
    expect(repository.rows.find((row) => row.id === attacker.consumer?.id)?.username).toBe('victim-sub');
    await expect(sut.map({ sub: 'victim-sub' })).resolves.toMatchObject({ consumer: { id: victim.consumer?.id } });
  });

  it('still maps by username to a consumer an operator created', async () => {
    const operatorMade = repository.add({ username: 'svc-reports', customId: null });
    const sut = build({ autoCreate: true });

    await expect(sut.map({ sub: 'svc-reports' })).resolves.toMatchObject({ consumer: { id: operatorMade.id } });
  });

  it('returns the consumer a concurrent first login created instead of failing', async () => {
    const sut = build({ autoCreate: true });
    repository.beforeInsert = () => {
      if (repository.rows.length === 0) repository.add({ username: 'gina', customId: 'racing-sub' });
    };

    const mapping = await sut.map({ sub: 'racing-sub', preferred_username: 'gina' });

    expect(repository.rows).toHaveLength(1);
    expect(mapping.consumer?.id).toBe(repository.rows[0]?.id);
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a server shutdown', new QueryFailedError('SELECT 1', [], Object.assign(new Error('terminating connection'), { code: '57P01' }))],
    ['a dual-stack connect failure', new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })])],
  ])('reports %s as postgres_unavailable', async (_case, failure) => {
    repository.failure = failure;
    const sut = build();

    await expect(sut.map({ sub: 'anyone' })).rejects.toMatchObject({ status: 503, code: 'postgres_unavailable' });
  });

  it('lets other database errors through unchanged', async () => {
    const failure = new QueryFailedError('SELECT', [], Object.assign(new Error('syntax error'), { code: '42601' }));
    repository.failure = failure;
    const sut = build();

    await expect(sut.map({ sub: 'anyone' })).rejects.toBe(failure);
  });
});
