import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '../../../shared/auth';

export type MemberStatus = 'active' | 'suspended' | 'purged';

/**
 * A person of the organization. Synced members carry the platform's stable id in `externalId`;
 * local accounts (the console's break-glass admin) have a `username` and a password instead.
 */
@Entity({ name: 'members' })
export class Member {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId!: string | null;

  @Column({ type: 'text', nullable: true })
  username!: string | null;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'text', nullable: true })
  email!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{employee}'" })
  roles!: Role[];

  @Column({ type: 'text', default: 'active' })
  status!: MemberStatus;

  /** Tokens signed under an older generation are refused (see TokenAuthenticator). */
  @Column({ name: 'token_generation', type: 'integer', default: 0 })
  tokenGeneration!: number;

  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ name: 'is_password_change_required', type: 'boolean', default: false })
  isPasswordChangeRequired!: boolean;

  /** Sealed with the deployment key (see secret-box), never stored in clear. */
  @Column({ name: 'totp_secret', type: 'text', nullable: true })
  totpSecret!: string | null;

  @Column({ name: 'totp_enabled_at', type: 'timestamptz', nullable: true })
  totpEnabledAt!: Date | null;

  /** The last accepted TOTP time step: a code is never accepted twice. */
  @Column({ name: 'totp_last_step', type: 'bigint', nullable: true })
  totpLastStep!: string | null;

  @Column({ type: 'text', default: 'local' })
  source!: 'local' | 'dingtalk';

  @Column({ name: 'department_ids', type: 'text', array: true, default: () => "'{}'" })
  departmentIds!: string[];

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  @Column({ name: 'job_number', type: 'text', nullable: true })
  jobNumber!: string | null;

  @Column({ name: 'directory_email', type: 'text', nullable: true })
  directoryEmail!: string | null;

  @Column({ name: 'avatar_url', type: 'text', nullable: true })
  avatarUrl!: string | null;

  @Column({ name: 'is_org_admin', type: 'boolean', default: false })
  isOrgAdmin!: boolean;

  @Column({ name: 'hired_at', type: 'timestamptz', nullable: true })
  hiredAt!: Date | null;

  @Column({ name: 'name_pinyin', type: 'text', nullable: true })
  namePinyin!: string | null;

  @Column({ name: 'name_initials', type: 'text', nullable: true })
  nameInitials!: string | null;

  @Column({ name: 'left_at', type: 'timestamptz', nullable: true })
  leftAt!: Date | null;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  /** Sign-in suspended by an admin (independent of the directory's status). */
  @Column({ name: 'admin_suspended_at', type: 'timestamptz', nullable: true })
  adminSuspendedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
