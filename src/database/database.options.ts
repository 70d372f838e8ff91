import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

// Compiled, migrations sit in dist/migrations; when the sources run directly (jest), they are the repository's .ts files.
const migrations = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'migrations', '*.ts')
  : join(__dirname, '..', 'migrations', '*.js');

/**
 * The connection, migrations and timeouts. Entities are the features' own: the app registers each with
 * `TypeOrmModule.forFeature` (and `autoLoadEntities`), the CLI finds them by name, a test passes the ones it uses.
 */
export function databaseOptions(url: string, entities: DataSourceOptions['entities'] = []): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations: [migrations],
    migrationsTableName: 'migrations',
    synchronize: false,
    // A Postgres that accepts connections but never answers must not hang requests: queries give up after 5 s.
    extra: { max: 10, connectionTimeoutMillis: 5000, query_timeout: 5000, statement_timeout: 5000 },
  };
}
