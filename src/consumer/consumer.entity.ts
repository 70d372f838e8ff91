import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'consumers' })
@Unique('UQ_consumers_username', ['username'])
@Unique('UQ_consumers_custom_id', ['customId'])
@Check('CHK_consumers_identified', '"username" IS NOT NULL OR "custom_id" IS NOT NULL')
export class Consumer {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_consumers' })
  id!: string;

  @Column({ type: 'text', nullable: true })
  username!: string | null;

  @Column({ name: 'custom_id', type: 'text', nullable: true })
  customId!: string | null;

  /** Made at first login by CONSUMER_AUTO_CREATE: matched by custom_id alone (consumer-capture rule). */
  @Column({ name: 'auto_created', type: 'boolean', default: false })
  autoCreated!: boolean;

  @Index('IDX_consumers_tags', { synchronize: false })
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
