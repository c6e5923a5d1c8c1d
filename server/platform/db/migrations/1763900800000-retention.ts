import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Mailbox exports: a zip of a mailbox's messages (.eml per message, folders as directories, a
 * manifest with flags), made before a departed member's mailbox is purged or when an admin asks.
 * The archive is stored in chunks so a large mailbox never needs one huge value or all of memory.
 */
export class Retention1763900800000 implements MigrationInterface {
  name = 'Retention1763900800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mailbox_exports (
        tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        mailbox_id uuid NOT NULL,
        member_id uuid,
        address text NOT NULL,
        display_name text,
        reason text NOT NULL CHECK (reason IN ('purge', 'admin')),
        status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ready', 'failed')),
        messages integer NOT NULL DEFAULT 0,
        size bigint NOT NULL DEFAULT 0,
        sha256 text,
        error text,
        requested_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, mailbox_id) REFERENCES mailboxes (tenant_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX mailbox_exports_tenant_created_idx ON mailbox_exports (tenant_id, created_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE TABLE mailbox_export_chunks (
        tenant_id uuid NOT NULL,
        export_id uuid NOT NULL,
        seq integer NOT NULL,
        content bytea NOT NULL,
        PRIMARY KEY (tenant_id, export_id, seq),
        FOREIGN KEY (tenant_id, export_id) REFERENCES mailbox_exports (tenant_id, id) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS mailbox_export_chunks`);
    await q.query(`DROP TABLE IF EXISTS mailbox_exports`);
  }
}
