import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { envSchema } from '../config/env.schema';
import { readEnv } from '../config/read-env';
import { databaseOptions } from './database.options';

/** The TypeORM CLI's data source (`npm run migration:run`, `migration:generate`): only DATABASE_URL is read. */
const url = envSchema.shape.DATABASE_URL.parse(readEnv().DATABASE_URL);
// migration:generate compares the entities with the schema; the compiled ones sit beside this file in dist/.
export default new DataSource(databaseOptions(url, [join(__dirname, '..', '**', '*.entity.js')]));
