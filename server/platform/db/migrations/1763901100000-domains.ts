import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Domains an admin adds in the console: the last DNS check of the records to publish. Domains the
 * operator configured (the bootstrap domain) count as verified; an added domain carries no mail
 * until its verification record is seen, so nobody can claim a domain they do not control.
 */
export class Domains1763901100000 implements MigrationInterface {
  name = 'Domains1763901100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE domains ADD COLUMN dns_checked_at timestamptz, ADD COLUMN dns_results jsonb`);
    // Existing domains were all configured by the operator.
    await q.query(`UPDATE domains SET verified_at = created_at WHERE verified_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE domains DROP COLUMN dns_checked_at, DROP COLUMN dns_results`);
  }
}
