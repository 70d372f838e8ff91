import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Marks consumers made by CONSUMER_AUTO_CREATE: they are matched by custom_id alone, never by username or id. */
export class ConsumerAutoCreated1764700000000 implements MigrationInterface {
  name = 'ConsumerAutoCreated1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "consumers" ADD "auto_created" boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "consumers" DROP COLUMN "auto_created"`);
  }
}
