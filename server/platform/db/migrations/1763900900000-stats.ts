import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Daily statistics per organization for the console's charts, rolled up by a job from the tables
 * that hold the facts. The roll-up reads one day of messages at a time through a BRIN index on
 * created_at: rows arrive in time order, so the index is a few pages and costs ingest nothing
 * measurable (a documented exception to "indexes lead with tenant_id": it serves a scan across
 * organizations, like the global domain-name index).
 */
export class Stats1763900900000 implements MigrationInterface {
  name = 'Stats1763900900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX messages_created_brin ON messages USING brin (created_at)`);
    await q.query(`
      CREATE TABLE stats_daily (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        day date NOT NULL,
        metric text NOT NULL,
        value bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, metric, day)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS stats_daily`);
    await q.query(`DROP INDEX IF EXISTS messages_created_brin`);
  }
}
