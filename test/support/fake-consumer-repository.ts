import { randomUUID } from 'node:crypto';
import { Consumer } from '../../src/consumer/consumer.entity';

type Lookup = Partial<Pick<Consumer, 'id' | 'username' | 'customId' | 'autoCreated'>>;
type NewConsumer = Pick<Consumer, 'username' | 'customId'> & Partial<Pick<Consumer, 'autoCreated'>>;

/** An in-memory stand-in for TypeORM's repository: the calls the service makes, with Postgres' unique constraints. */
export class FakeConsumerRepository {
  readonly rows: Consumer[] = [];
  readonly lookups: Lookup[] = [];
  inserts: NewConsumer[] = [];
  failure: Error | undefined;
  /** Runs just before an insert, to let a test play the concurrent login that got there first. */
  beforeInsert: () => void = () => undefined;

  add(fields: NewConsumer & { id?: string }): Consumer {
    const consumer = Object.assign(new Consumer(), { id: randomUUID(), tags: [], autoCreated: false, ...fields });
    this.rows.push(consumer);
    return consumer;
  }

  /** An array is TypeORM's OR of its lookups. */
  findOneBy(where: Lookup | Lookup[]): Promise<Consumer | null> {
    if (!Array.isArray(where)) this.lookups.push(where);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const matches = (row: Consumer) =>
      [where].flat().some((lookup) => Object.entries(lookup).every(([field, value]) => row[field as keyof Lookup] === value));
    return Promise.resolve(this.rows.find(matches) ?? null);
  }

  update(where: { id: string }, changes: Partial<Consumer>): Promise<void> {
    const row = this.rows.find((candidate) => candidate.id === where.id);
    if (row) Object.assign(row, changes);
    return Promise.resolve();
  }

  createQueryBuilder() {
    let pending: NewConsumer | undefined;
    const builder = {
      insert: () => builder,
      values: (values: NewConsumer) => ((pending = values), builder),
      orIgnore: () => builder,
      updateEntity: () => builder,
      execute: () => {
        this.beforeInsert();
        if (pending) this.insertOrIgnore(pending);
        return Promise.resolve({ identifiers: [], generatedMaps: [], raw: [] });
      },
    };
    return builder;
  }

  private insertOrIgnore(values: NewConsumer): void {
    this.inserts.push(values);
    const clash = this.rows.some(
      (row) => (values.customId !== null && row.customId === values.customId) || (values.username !== null && row.username === values.username),
    );
    if (!clash) this.add(values);
  }
}
