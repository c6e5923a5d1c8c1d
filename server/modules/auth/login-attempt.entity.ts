import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Every password sign-in attempt; the lockout window is counted from these rows. */
@Entity({ name: 'login_attempts' })
export class LoginAttempt {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @PrimaryColumn({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' })
  id!: string;

  /** The sign-in name as typed, lower-cased (also for names that match no account). */
  @Column({ type: 'text' })
  login!: string;

  @Column({ type: 'inet', nullable: true })
  ip!: string | null;

  @Column({ name: 'is_success', type: 'boolean' })
  isSuccess!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
