import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateConsumers1763700000000 implements MigrationInterface {
  name = 'CreateConsumers1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "consumers" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "username" text,
        "custom_id" text,
        "tags" text[] NOT NULL DEFAULT '{}',
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_consumers" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_consumers_username" UNIQUE ("username"),
        CONSTRAINT "UQ_consumers_custom_id" UNIQUE ("custom_id"),
        CONSTRAINT "CHK_consumers_identified" CHECK ("username" IS NOT NULL OR "custom_id" IS NOT NULL)
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_consumers_tags" ON "consumers" USING gin ("tags")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "consumers"`);
  }
}
