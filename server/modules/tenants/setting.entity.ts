import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Settings an admin edits (deployment settings come from the environment instead). */
@Entity({ name: 'settings' })
export class Setting {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'jsonb' })
  value!: unknown;

  @Column({ name: 'updated_by', type: 'uuid', nullable: true })
  updatedBy!: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
