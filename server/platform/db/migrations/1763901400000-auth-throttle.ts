import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Failed sign-ins counted per client address before any organization is known (SMTP AUTH with an
 * address of a domain we do not host still counts). Kept in PostgreSQL so every replica of the
 * smtp role sees the same count. The one table without tenant_id: the key is the client address.
 */
export class AuthThrottle1763901400000 implements MigrationInterface {
  name = 'AuthThrottle1763901400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE auth_failures (
        ip inet NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        service text NOT NULL,
        login text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (ip, id)
      )`);
    await q.query(`CREATE INDEX auth_failures_ip_idx ON auth_failures (ip, service, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS auth_failures`);
  }
}
