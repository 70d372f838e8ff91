import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { Consumer } from '../consumer/consumer.entity';

// Compiled, migrations sit in dist/migrations; when the sources run directly (jest), they are the repository's .ts files.
const migrations = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'migrations', '*.ts')
  : join(__dirname, '..', 'migrations', '*.js');

export function databaseOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [Consumer],
    migrations: [migrations],
    migrationsTableName: 'migrations',
    synchronize: false,
    extra: { max: 10, connectionTimeoutMillis: 5000 },
  };
}
