import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * An admin can suspend a member's sign-in (a lost phone, an investigation) independently of the
 * directory: the directory decides whether someone works here, the admin whether they may sign in
 * now. Their mail keeps arriving; a sync never undoes the admin's decision.
 */
export class MemberAdmin1763901000000 implements MigrationInterface {
  name = 'MemberAdmin1763901000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE members ADD COLUMN admin_suspended_at timestamptz, ADD COLUMN admin_suspended_reason text`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE members DROP COLUMN admin_suspended_at, DROP COLUMN admin_suspended_reason`);
  }
}
