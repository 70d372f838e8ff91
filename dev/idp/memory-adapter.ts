import type { Adapter, AdapterPayload } from 'oidc-provider';

interface StoredRecord {
  model: string;
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/** Models whose records belong to a grant: what `revokeGrantsOf` removes besides the grant itself. */
const GRANT_BOUND = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'Grant']);

/**
 * All provider state in one map owned by the dev IdP, so it survives stop/restart and tests can search it.
 * Lookups by uid/userCode scan: a test IdP holds a handful of records.
 */
export class MemoryStore {
  private readonly records = new Map<string, StoredRecord>();

  readonly adapterFor = (model: string): Adapter => new MemoryAdapter(model, this);

  get(model: string, id: string): AdapterPayload | undefined {
    const record = this.records.get(keyOf(model, id));
    return record && isLive(record) ? record.payload : undefined;
  }

  set(model: string, id: string, payload: AdapterPayload, expiresInSeconds: number | undefined): void {
    const expiresAt = expiresInSeconds === undefined ? undefined : Date.now() + expiresInSeconds * 1000;
    this.records.set(keyOf(model, id), { model, payload, expiresAt });
  }

  markConsumed(model: string, id: string): void {
    const record = this.records.get(keyOf(model, id));
    if (record) record.payload = { ...record.payload, consumed: Math.floor(Date.now() / 1000) };
  }

  delete(model: string, id: string): void {
    this.records.delete(keyOf(model, id));
  }

  findWhere(model: string, matches: (payload: AdapterPayload) => boolean): AdapterPayload | undefined {
    for (const record of this.records.values()) {
      if (record.model === model && isLive(record) && matches(record.payload)) return record.payload;
    }
    return undefined;
  }

  deleteWhere(matches: (model: string, payload: AdapterPayload) => boolean): number {
    let deleted = 0;
    for (const [key, record] of this.records) {
      if (matches(record.model, record.payload)) {
        this.records.delete(key);
        deleted += 1;
      }
    }
    return deleted;
  }

  /** Removes the account's grants and every token issued under them; its IdP login session stays. */
  revokeGrantsOf(accountId: string): number {
    const grantIds = new Set<string>();
    for (const [key, record] of this.records) {
      if (record.model === 'Grant' && record.payload.accountId === accountId) grantIds.add(key.slice('Grant:'.length));
    }
    return this.deleteWhere(
      (model, payload) =>
        GRANT_BOUND.has(model) &&
        (payload.accountId === accountId || (payload.grantId !== undefined && grantIds.has(payload.grantId))),
    );
  }
}

class MemoryAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: MemoryStore,
  ) {}

  upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    this.store.set(this.model, id, payload, expiresIn);
    return Promise.resolve();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return Promise.resolve(this.store.get(this.model, id));
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return Promise.resolve(this.store.findWhere(this.model, (payload) => payload.uid === uid));
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return Promise.resolve(this.store.findWhere(this.model, (payload) => payload.userCode === userCode));
  }

  consume(id: string): Promise<void> {
    this.store.markConsumed(this.model, id);
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    this.store.delete(this.model, id);
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    this.store.deleteWhere((model, payload) => model === this.model && payload.grantId === grantId);
    return Promise.resolve();
  }
}

function isLive(record: StoredRecord): boolean {
  return record.expiresAt === undefined || record.expiresAt > Date.now();
}

function keyOf(model: string, id: string): string {
  return `${model}:${id}`;
}
