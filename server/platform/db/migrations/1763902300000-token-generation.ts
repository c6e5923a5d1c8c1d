import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Session revocation: every access token carries the member's token generation when it was signed.
 * Raising the generation (a password change, "sign out everywhere", an admin ending a member's sessions)
 * makes every token signed before it invalid at once, instead of when it expires.
 */
export class TokenGeneration1763902300000 implements MigrationInterface {
  name = 'TokenGeneration1763902300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE members ADD COLUMN token_generation integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE members DROP COLUMN token_generation`);
  }
}
